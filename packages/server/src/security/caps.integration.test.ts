// Attacks on capacity (docs/SECURITY.md#connection-caps): one token opening
// sockets without end, a client forging X-Forwarded-For to dodge its per-address
// cap, and half-open handshakes that never finish.
import { connect, type Socket } from "node:net";
import { decodeServerMessage, MessageType, subprotocolsFor } from "@collabblocks/protocol";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createPresenceServer, type PresenceServer, type PresenceServerOptions } from "../index.js";
import { createDevClients } from "../test-support/dev-server.js";
import { fetchDevToken } from "../test-support/test-client.js";

const servers: PresenceServer[] = [];
const clients = createDevClients();
const sockets: (Socket | WebSocket)[] = [];
afterEach(async () => {
  clients.terminateAll();
  for (const s of sockets.splice(0)) s instanceof WebSocket ? s.terminate() : s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: Partial<PresenceServerOptions> = {}) {
  const s = await createPresenceServer({ auth: "dev", port: 0, ...options });
  servers.push(s);
  return s;
}

/** Opens a socket with `headers` and resolves with its refusal code, or "joined" at the welcome. */
function attempt(server: PresenceServer, token: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(`${server.wsUrl}/v1/rooms/caps?token=${token}`, { headers });
  sockets.push(ws);
  return new Promise<string>((resolve) => {
    ws.on("message", (data: Buffer) => {
      if (decodeServerMessage(data).type === MessageType.WELCOME) resolve("joined");
    });
    ws.on("close", (code) => resolve(String(code)));
    ws.on("unexpected-response", (_req, res) => resolve(`http ${res.statusCode}`));
    ws.on("error", () => {});
  });
}

describe("connection caps", () => {
  it("refuses a user's connections past --max-conns-per-user, and takes one again when one closes", async () => {
    const server = await start({ maxConnsPerUser: 3 });
    const token = await fetchDevToken(server.url, { room: "caps", user: "mallory" });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await attempt(server, token));
    expect(results).toEqual(["joined", "joined", "joined", "4029", "4029"]);
    // Another user is not affected.
    const other = await fetchDevToken(server.url, { room: "caps", user: "alice" });
    expect(await attempt(server, other)).toBe("joined");
    const first = sockets[0] as WebSocket;
    first.close(1000);
    await new Promise((r) => first.once("close", r));
    await new Promise((r) => setTimeout(r, 50));
    expect(await attempt(server, token)).toBe("joined");
  });

  it("counts forwarded addresses only from trusted proxies: a forged X-Forwarded-For does not dodge the cap", async () => {
    // Loopback is a trusted proxy by default: its X-Forwarded-For names the client.
    const proxied = await start({ maxConnsPerIp: 2 });
    const token = await fetchDevToken(proxied.url, { room: "caps", user: "u" });
    const viaProxy = (client: string) => attempt(proxied, token, { "x-forwarded-for": client });
    expect([await viaProxy("198.51.100.1"), await viaProxy("198.51.100.1")]).toEqual(["joined", "joined"]);
    expect(await viaProxy("198.51.100.1")).toBe("4029");
    expect(await viaProxy("6.6.6.6, 198.51.100.1")).toBe("4029"); // forged hop on the left: same client
    expect(await viaProxy("198.51.100.2")).toBe("joined"); // another client behind the proxy
    // Trusting no one: the header is ignored and the socket's peer is the address.
    const direct = await start({ maxConnsPerIp: 2, trustedProxies: ["none"] });
    const t2 = await fetchDevToken(direct.url, { room: "caps", user: "u" });
    const forged = (client: string) => attempt(direct, t2, { "x-forwarded-for": client });
    expect([await forged("1.1.1.1"), await forged("2.2.2.2"), await forged("3.3.3.3")]).toEqual([
      "joined",
      "joined",
      "4029",
    ]);
  });

  it("drops half-open handshakes after the handshake timeout", async () => {
    const server = await start({ handshakeTimeoutMs: 1000 });
    const closedAfter: number[] = [];
    const started = performance.now();
    const opened = Array.from({ length: 50 }, (_, i) => {
      const s = connect(server.port, "127.0.0.1");
      sockets.push(s);
      s.on("error", () => {});
      // Half of them send part of an upgrade request, the others nothing at all.
      if (i % 2 === 0)
        s.write("GET /v1/rooms/caps?token=x HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n");
      return new Promise<void>((resolve) =>
        s.once("close", () => {
          closedAfter.push(performance.now() - started);
          resolve();
        }),
      );
    });
    await Promise.race([Promise.all(opened), new Promise((r) => setTimeout(r, 8000))]);
    expect(closedAfter).toHaveLength(50);
    expect(Math.max(...closedAfter)).toBeLessThan(6000); // 1 s timeout + 1 s check interval, generous slack
  });

  it("refuses upgrades from browser origins not on --allowed-origins, and passes clients without an Origin", async () => {
    const server = await start({ allowedOrigins: ["https://app.example"] });
    const token = await fetchDevToken(server.url, { room: "caps", user: "u" });
    expect(await attempt(server, token, { origin: "https://app.example" })).toBe("joined");
    expect(await attempt(server, token, { origin: "https://evil.example" })).toBe("http 403");
    expect(await attempt(server, token, { origin: "https://app.example.evil.example" })).toBe("http 403");
    expect(await attempt(server, token)).toBe("joined"); // a server-side client sends no Origin
  });

  it("takes the token from the collabblocks.token subprotocol, keeping it out of the URL, and selects collabblocks", async () => {
    const server = await start();
    const token = await fetchDevToken(server.url, { room: "caps", user: "u" });
    const ws = new WebSocket(`${server.wsUrl}/v1/rooms/caps`, subprotocolsFor(token));
    sockets.push(ws);
    const first = await new Promise<number>((resolve, reject) => {
      ws.once("message", (data: Buffer) => resolve(decodeServerMessage(data).type));
      ws.once("close", (code) => reject(new Error(`closed ${code}`)));
    });
    expect(first).toBe(MessageType.WELCOME);
    expect(ws.protocol).toBe("collabblocks");
    const bare = new WebSocket(`${server.wsUrl}/v1/rooms/caps`, ["collabblocks"]);
    sockets.push(bare);
    const code = await new Promise<number>((resolve) => bare.once("close", resolve));
    expect(code).toBe(4001); // INVALID_TOKEN: no token anywhere
  });
});
