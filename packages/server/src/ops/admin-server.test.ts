import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  AdminListenError,
  type AdminServer,
  listenWithAdmin,
  parseAdminPort,
  startAdminServer,
} from "./admin-server.js";
import { createSilentLogger } from "./logger.js";
import { createMetrics } from "./metrics.js";

const metrics = createMetrics(
  { connections: () => 3, rooms: () => 2, backlog: () => 0, evictions: () => 0 },
  { defaultMetrics: false },
);
const logger = createSilentLogger();
const opened: (Server | AdminServer)[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) {
    if ("metricsUrl" in s) await s.close();
    else s.close();
  }
});

/** A port something else already listens on. */
async function takenPort(): Promise<number> {
  const blocker = createServer();
  opened.push(blocker);
  blocker.listen(0, "127.0.0.1");
  await once(blocker, "listening");
  return (blocker.address() as AddressInfo).port;
}

describe("parseAdminPort", () => {
  it("takes a port 0–65535 or public, and nothing else", () => {
    expect(parseAdminPort("9464", "--admin-port")).toBe(9464);
    expect(parseAdminPort("0", "--admin-port")).toBe(0);
    expect(parseAdminPort(" 65535 ", "--admin-port")).toBe(65535);
    expect(parseAdminPort("public", "--admin-port")).toBe("public");
    for (const bad of ["65536", "x", "", "-1", "1e3", "PUBLIC"]) {
      expect(() => parseAdminPort(bad, "COLLABBLOCKS_ADMIN_PORT"), bad).toThrow(
        /^COLLABBLOCKS_ADMIN_PORT must be a port 0–65535 or "public"/,
      );
    }
  });
});

describe("the admin server", () => {
  it("serves the metrics at GET and HEAD /metrics and 404 for everything else", async () => {
    const admin = await startAdminServer({ port: 0, metrics, logger });
    opened.push(admin);
    expect(admin.metricsUrl).toBe(`http://127.0.0.1:${admin.port}/metrics`);
    const res = await fetch(admin.metricsUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    expect(await res.text()).toMatch(/^presence_connections 3$/m);
    expect((await fetch(admin.metricsUrl, { method: "HEAD" })).status).toBe(200);
    const base = admin.metricsUrl.replace(/\/metrics$/, "");
    for (const path of ["/", "/healthz", "/readyz", "/metrics/x", "/v1/rooms/r"]) {
      expect((await fetch(`${base}${path}`)).status, path).toBe(404);
    }
    expect((await fetch(admin.metricsUrl, { method: "POST", body: "x" })).status).toBe(404);
  });

  it("reports a taken port as an AdminListenError naming the port and host", async () => {
    const port = await takenPort();
    const err = await startAdminServer({ port, host: "127.0.0.1", metrics, logger }).catch((e) => e);
    expect(err).toBeInstanceOf(AdminListenError);
    expect(err).toMatchObject({ code: "EADDRINUSE", port, host: "127.0.0.1" });
  });

  it("frees the public port again when the admin port cannot be bound", async () => {
    const adminPort = await takenPort();
    const publicServer = createServer();
    const err = await listenWithAdmin(
      publicServer,
      { port: 0, host: "127.0.0.1" },
      { port: adminPort, metrics, logger },
    ).catch((e) => e);
    expect(err).toBeInstanceOf(AdminListenError);
    expect(publicServer.listening).toBe(false);
  });

  it("binds the public server alone when there is no admin port", async () => {
    const publicServer = createServer();
    opened.push(publicServer);
    expect(await listenWithAdmin(publicServer, { port: 0, host: "127.0.0.1" }, undefined)).toBeUndefined();
    expect(publicServer.listening).toBe(true);
  });
});
