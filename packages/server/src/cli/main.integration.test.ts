// The real CLI process: readiness line, dev endpoints, bad config, SIGTERM.
// Runs the built dist/ (CI builds first); fails with a clear message when it is missing.
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type CliChild, spawnCli } from "../../../../test-support/cli-process.js";
import { waitUntil } from "../../../../test-support/wait-until.js";
import { connectTestClient, fetchDevToken } from "../test-support/test-client.js";

const children: CliChild[] = [];

/** The CLI with `args`; `firstLine` is its first stdout line (the listening line, or help). */
function start(args: string[], env: Record<string, string> = {}) {
  const cli = spawnCli(args, { env });
  children.push(cli);
  const firstLine = cli.waitForLine(() => true, "first line");
  firstLine.catch(() => {}); // bad-config cases never print; they assert on the exit instead
  return { ...cli, firstLine };
}

/** 101 when the upgrade is accepted, else the HTTP status of the refusal. */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on("upgrade", () => {
      resolve(101);
      ws.terminate();
    });
    ws.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on("error", () => {});
  });
}

afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.kill9()));
});

describe("collabblocks CLI", () => {
  it("prints one listening line, serves dev tokens, and shuts down on SIGTERM with 1012 and exit 0", async () => {
    const p = start(["dev", "--port", "0"]);
    const ready = JSON.parse(await p.firstLine) as { event: string; role: string; url: string };
    expect(ready).toMatchObject({ event: "listening", role: "all" });
    expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${ready.url}/healthz`)).status).toBe(200);
    expect((await (await fetch(`${ready.url}/.well-known/jwks.json`)).json()).keys[0]).toMatchObject({
      alg: "ES256",
    });

    const token = await fetchDevToken(ready.url, { room: "cli-room", user: "alice" });
    const client = connectTestClient({ url: ready.url.replace("http", "ws"), room: "cli-room", token });
    await client.ready;
    const t0 = Date.now();
    p.child.kill("SIGTERM");
    const closed = await client.closed;
    expect(closed.code).toBe(1012);
    expect(client.errors.map((e) => e.code)).toEqual(["SERVER_SHUTTING_DOWN"]);
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it("reads flags from COLLABBLOCKS_ variables", async () => {
    const p = start(["dev"], { COLLABBLOCKS_PORT: "0", COLLABBLOCKS_HOST: "127.0.0.1" });
    const ready = JSON.parse(await p.firstLine) as { url: string };
    expect(ready.url).not.toContain(":8787");
    p.child.kill("SIGINT");
    expect(await p.exited).toEqual({ code: 0, signal: null });
  });

  it("re-reads a --deny-ips @file on SIGHUP", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cb-deny-"));
    const file = join(dir, "deny.txt");
    writeFileSync(file, "10.0.0.0/8 # nobody here\n");
    const p = start(["dev", "--port", "0", "--deny-ips", `@${file}`]);
    const { url } = JSON.parse(await p.firstLine) as { url: string };
    const wsUrl = `${url.replace("http", "ws")}/v1/rooms/r?token=x`;
    expect(await upgradeStatus(wsUrl)).toBe(101);
    writeFileSync(file, "127.0.0.0/8\n");
    p.child.kill("SIGHUP");
    await waitUntil(
      "the reloaded list refuses 127.0.0.1",
      async () => (await upgradeStatus(wsUrl)) === 403,
      5000,
      {
        intervalMs: 50,
      },
    );
    p.child.kill("SIGTERM");
    expect((await p.exited).code).toBe(0);
  });

  it.each([
    [["serve"], /jwks-url/],
    [["dev", "--port", "99999"], /--port must be ≤ 65535/],
    [["dev", "--deny-ips", "10.0.0.0/99"], /deny-ips/],
    [["dev", "--bogus"], /unknown flag/],
    [["dev", "--static-dir", "/nonexistent/dir"], /static-dir/],
    [["dev", "--host", "0.0.0.0"], /--insecure-dev-public/],
    [["dev", "--admin-port", "x"], /--admin-port must be a port/],
    [["dev", "--admin-host", "0.0.0.0"], /--admin-host needs --admin-port N/],
  ])("exits 2 with one line for bad config %j", async (args, pattern) => {
    const p = start(args as string[]);
    expect((await p.exited).code).toBe(2);
    const lines = p.stderr().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
  });

  it("refuses dev under NODE_ENV=production, and warns loudly when told to bind every interface", async () => {
    const prod = start(["dev", "--port", "0"], { NODE_ENV: "production" });
    expect((await prod.exited).code).toBe(2);
    expect(prod.stderr()).toMatch(/NODE_ENV=production/);
    const open = start([
      "dev",
      "--port",
      "0",
      "--host",
      "0.0.0.0",
      "--insecure-dev-public",
      "--log-level",
      "silent",
    ]);
    expect(JSON.parse(await open.firstLine)).toMatchObject({ event: "listening", bind: "0.0.0.0" });
    await waitUntil(
      "the warning",
      async () => /WARNING: dev is listening on 0\.0\.0\.0/.test(open.stderr()),
      5000,
    );
    open.child.kill("SIGTERM");
    expect((await open.exited).code).toBe(0);
  });

  it("serves /metrics of serve on the admin port the listening line names, and 404 on the public port", async () => {
    const auth = ["--jwks-url", "http://127.0.0.1:9/jwks.json"];
    const p = start(["serve", "--port", "0", "--host", "127.0.0.1", "--admin-port", "0", ...auth]);
    const ready = JSON.parse(await p.firstLine) as { url: string; metrics: string };
    expect(ready.metrics).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(new URL(ready.metrics).port).not.toBe(new URL(ready.url).port);
    expect(await (await fetch(ready.metrics)).text()).toMatch(/^presence_connections 0$/m);
    expect((await fetch(`${ready.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${ready.url}/readyz`)).status).toBe(200);
    p.child.kill("SIGTERM");
    expect((await p.exited).code).toBe(0);
  });

  it("keeps dev's /metrics on its port, as the listening line says", async () => {
    const p = start(["dev", "--port", "0"]);
    const ready = JSON.parse(await p.firstLine) as { url: string; metrics: string };
    expect(ready.metrics).toBe(`${ready.url}/metrics`);
    expect((await fetch(ready.metrics)).status).toBe(200);
    p.child.kill("SIGTERM");
    expect((await p.exited).code).toBe(0);
  });

  it("exits 2 with one line naming --admin-port when the admin port is taken", async () => {
    const blocker = createServer().listen(0, "127.0.0.1");
    await once(blocker, "listening");
    const port = (blocker.address() as { port: number }).port;
    try {
      const p = start(["pod", "--port", "0", "--grpc-port", "0", "--admin-port", String(port)]);
      expect((await p.exited).code).toBe(2);
      expect(p.stderr().trim().split("\n")).toEqual([
        `collabblocks: --admin-port ${port} on 127.0.0.1 is already in use`,
      ]);
    } finally {
      blocker.close();
    }
  });

  it("prints help", async () => {
    const p = start(["--help"]);
    expect(await p.firstLine).toMatch(/collabblocks/);
    expect((await p.exited).code).toBe(0);
  });
});
