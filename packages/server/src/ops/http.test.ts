import { once } from "node:events";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createDevIssuer } from "../edge/dev-issuer.js";
import { createHttpHandler, displayHost, type HttpOptions } from "./http.js";
import { createSilentLogger } from "./logger.js";
import { createMetrics } from "./metrics.js";

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function serve(options: Partial<HttpOptions> = {}): Promise<string> {
  const metrics = createMetrics(
    { connections: () => 0, rooms: () => 0, backlog: () => 0, evictions: () => 0 },
    { defaultMetrics: false },
  );
  const server = createServer(
    createHttpHandler({ metrics, ready: () => true, logger: createSilentLogger(), ...options }),
  );
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("http endpoints", () => {
  it("reports health and readiness", async () => {
    let ready = false;
    const url = await serve({ ready: () => ready });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    ready = true;
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });

  it("issues dev tokens with CORS and validates the request", async () => {
    const url = await serve({ devIssuer: await createDevIssuer() });
    const pre = await fetch(`${url}/v1/dev/token`, {
      method: "OPTIONS",
      headers: { origin: "http://localhost:5173" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    const ok = await fetch(`${url}/v1/dev/token`, {
      method: "POST",
      body: JSON.stringify({ room: "r-1", user: "alice", info: { name: "A" } }),
    });
    expect(ok.status).toBe(200);
    const { token } = (await ok.json()) as { token: string };
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());
    expect(claims).toMatchObject({ sub: "alice", room: "r-1", plan: "pro", info: { name: "A" } });
    expect(claims.exp - claims.iat).toBe(600);
    for (const body of [
      "nope",
      JSON.stringify({ room: "bad/room", user: "a" }),
      JSON.stringify({ room: "r", user: "" }),
    ]) {
      expect((await fetch(`${url}/v1/dev/token`, { method: "POST", body })).status).toBe(400);
    }
    expect((await fetch(`${url}/v1/dev/token`)).status).toBe(405);
  });

  it("answers the SDK's default `{room}` with an anonymous user that a cookie keeps for the browser", async () => {
    const url = await serve({ devIssuer: await createDevIssuer() });
    const ask = (cookie?: string) =>
      fetch(`${url}/v1/dev/token`, {
        method: "POST",
        headers: { origin: "http://localhost:5173", ...(cookie ? { cookie } : {}) },
        body: JSON.stringify({ room: "r-1" }),
      });
    const first = await ask();
    expect(first.status).toBe(200);
    expect(first.headers.get("access-control-allow-credentials")).toBe("true");
    const { user, token } = (await first.json()) as { user: string; token: string };
    expect(user).toMatch(/^anon-[A-Za-z0-9_-]{12}$/);
    expect(JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()).sub).toBe(user);
    const cookie = first.headers.get("set-cookie")!.split(";")[0]!;
    expect(cookie).toBe(`collabblocks_dev_user=${user}`);
    // The same browser (its cookie) is the same user; another browser is another one.
    const again = await ask(cookie);
    expect(((await again.json()) as { user: string }).user).toBe(user);
    expect(again.headers.get("set-cookie")).toBeNull();
    expect(((await (await ask()).json()) as { user: string }).user).not.toBe(user);
    // A forged cookie value outside the anonymous form is ignored.
    const forged = await ask("collabblocks_dev_user=alice");
    expect(((await forged.json()) as { user: string }).user).toMatch(/^anon-/);
  });

  it("refuses the dev endpoints to pages of other sites, unless their origin is allowed", async () => {
    const issuer = await createDevIssuer();
    const url = await serve({ devIssuer: issuer, devAllowOrigins: ["https://app.example"] });
    const post = (origin: string) =>
      fetch(`${url}/v1/dev/token`, {
        method: "POST",
        headers: { origin },
        body: JSON.stringify({ room: "r-1", user: "mallory" }),
      });
    const evil = await post("https://evil.example");
    expect(evil.status).toBe(403);
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    expect((await post("http://localhost.evil.example")).status).toBe(403);
    for (const origin of ["http://127.0.0.1:8787", "http://[::1]:3000", "https://app.example"]) {
      const ok = await post(origin);
      expect(ok.status, origin).toBe(200);
      expect(ok.headers.get("access-control-allow-origin")).toBe(origin);
    }
  });

  it("has no dev endpoints without a dev issuer", async () => {
    const url = await serve();
    expect((await fetch(`${url}/v1/dev/token`, { method: "POST", body: "{}" })).status).toBe(404);
    expect((await fetch(`${url}/.well-known/jwks.json`)).status).toBe(404);
  });

  it("serves a static directory at / with an index fallback and without escaping it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cb-static-"));
    mkdirSync(join(dir, "assets"));
    writeFileSync(join(dir, "index.html"), "<h1>demo</h1>");
    writeFileSync(join(dir, "assets", "app.js"), "console.log(1)");
    const url = await serve({ staticDir: dir });
    expect(await (await fetch(`${url}/`)).text()).toBe("<h1>demo</h1>");
    const js = await fetch(`${url}/assets/app.js`);
    expect(js.headers.get("content-type")).toContain("javascript");
    expect(await (await fetch(`${url}/some/route`)).text()).toBe("<h1>demo</h1>");
    expect((await fetch(`${url}/missing.js`)).status).toBe(404);
    // `..` is resolved inside the root: this is the SPA fallback, never /etc/passwd.
    expect(await (await fetch(`${url}/..%2F..%2Fetc%2Fpasswd`)).text()).toBe("<h1>demo</h1>");
    expect((await fetch(`${url}/..%2F..%2Fetc%2Fhostname.txt`)).status).toBe(404);
  });

  it("answers a malformed percent-encoded path with 400 and logs nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cb-static-"));
    writeFileSync(join(dir, "index.html"), "<p>demo</p>");
    const logged: unknown[] = [];
    const logger = createSilentLogger();
    logger.error = ((...args: unknown[]) => logged.push(args)) as typeof logger.error;
    const url = await serve({ staticDir: dir, logger });
    for (const path of ["/%", "/%zz/x", "/a%E0%A4%A"]) {
      const res = await fetch(`${url}${path}`);
      expect(res.status, path).toBe(400);
    }
    expect(logged).toEqual([]);
  });

  it("serves /metrics when given the metrics, and 404 without them even over a static directory", async () => {
    const withMetrics = await serve();
    expect(await (await fetch(`${withMetrics}/metrics`)).text()).toMatch(/^presence_connections 0$/m);
    const dir = mkdtempSync(join(tmpdir(), "cb-static-"));
    writeFileSync(join(dir, "index.html"), "<p>demo</p>");
    const url = await serve({ metrics: undefined, staticDir: dir, placeholder: true });
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain("presence_");
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it("serves the placeholder page when asked and there is no demo", async () => {
    const url = await serve({ placeholder: true });
    expect(await (await fetch(`${url}/`)).text()).toContain("CollabBlocks Presence");
  });
});

describe("displayHost", () => {
  it("shows a wildcard bind as loopback and brackets IPv6 addresses", () => {
    expect(displayHost("0.0.0.0")).toBe("127.0.0.1");
    expect(displayHost("")).toBe("127.0.0.1");
    expect(displayHost("::")).toBe("[::1]");
    expect(displayHost("::1")).toBe("[::1]");
    expect(displayHost("10.0.0.5")).toBe("10.0.0.5");
    expect(displayHost("localhost")).toBe("localhost");
  });
});
