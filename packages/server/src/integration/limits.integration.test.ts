// Capacity and abuse controls at the upgrade, and the small control messages.
import { MessageType, RTT_BUCKETS_MS } from "@collabblocks/protocol";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  createMemoryBus,
  createPresenceServer,
  type PresenceServer,
  type PresenceServerOptions,
} from "../index.js";
import { createDevClients } from "../test-support/dev-server.js";

const servers: PresenceServer[] = [];
const clients = createDevClients();

async function start(options: Partial<PresenceServerOptions> = {}) {
  const s = await createPresenceServer({ auth: "dev", port: 0, ...options });
  servers.push(s);
  return s;
}
afterEach(async () => {
  clients.terminateAll();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const open = (server: PresenceServer, room: string, user: string) => clients.open(server, room, user);

/** Resolves with the HTTP status of a refused upgrade. */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on("open", () => reject(new Error("upgrade was accepted")));
    ws.on("error", () => {});
  });
}

describe("capacity and abuse controls", () => {
  it("refuses denied addresses at the upgrade and reloads the deny list", async () => {
    const server = await start({ denyIps: ["127.0.0.0/8"] });
    expect(await upgradeStatus(`${server.wsUrl}/v1/rooms/r?token=x`)).toBe(403);
    server.setDenyList(["10.0.0.0/8"]);
    const c = await open(server, "r", "alice");
    await c.ready;
  });

  it("refuses connections beyond --max-conns-per-ip with TOO_MANY_CONNECTIONS", async () => {
    const server = await start({ maxConnsPerIp: 2 });
    const a = await open(server, "r", "a");
    const b = await open(server, "r", "b");
    await Promise.all([a.ready, b.ready]);
    const c = await open(server, "r", "c");
    expect((await c.closed).code).toBe(4029);
    expect(c.errors[0]?.code).toBe("TOO_MANY_CONNECTIONS");
    await a.close();
    const d = await open(server, "r", "d");
    await d.ready;
  });

  it("refuses joins beyond --max-room-connections with ROOM_FULL, other rooms unaffected", async () => {
    const server = await start({ maxRoomConnections: 2 });
    await (await open(server, "full", "a")).ready;
    await (await open(server, "full", "b")).ready;
    const c = await open(server, "full", "c");
    expect((await c.closed).code).toBe(4005);
    expect(c.errors[0]?.code).toBe("ROOM_FULL");
    await (await open(server, "other", "c")).ready;
  });

  it("answers 404 for other paths", async () => {
    const server = await start();
    expect(await upgradeStatus(`${server.wsUrl}/elsewhere`)).toBe(404);
  });
});

describe("control messages", () => {
  it("answers PING with PONG carrying the client's time", async () => {
    const server = await start();
    const c = await clients.join(server, "r", "a", { record: true });
    c.send({ type: MessageType.PING, t: 1234.5 });
    await c.waitFor(() => c.messages.some((m) => m.type === MessageType.PONG));
    expect(c.messages.find((m) => m.type === MessageType.PONG)).toMatchObject({ t: 1234.5 });
  });

  it("answers SYNC_REQUEST with a snapshot carrying its syncId", async () => {
    const server = await start();
    const c = await clients.join(server, "r", "a", { record: true });
    c.update({ status: "here" }); // announces the connection (a fresh one is announced by its first patch)
    await c.waitFor(() => c.replica.size === 1);
    c.send({ type: MessageType.SYNC_REQUEST, syncId: 7 });
    await c.waitFor(() => c.messages.some((m) => m.type === MessageType.SNAPSHOT_DONE && m.syncId === 7));
    expect(c.messages.find((m) => m.type === MessageType.SNAPSHOT_DONE && m.syncId === 7)).toMatchObject({
      total: 1,
    });
  });

  it("adds RTT reports to presence_rtt_ms", async () => {
    const server = await start();
    const c = await open(server, "r", "a");
    await c.ready;
    const counts = new Array(RTT_BUCKETS_MS.length + 1).fill(0);
    counts[2] = 4;
    await new Promise((r) => setTimeout(r, 1100)); // reports come at most once a second after the join
    c.send({ type: MessageType.RTT_REPORT, counts });
    c.send({ type: MessageType.PING, t: 0 }); // a round trip, so the report has been handled
    await new Promise((r) => setTimeout(r, 100));
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toContain("presence_rtt_ms_count 4");
    expect(text).toContain('presence_rtt_ms_bucket{le="5"} 4');
  });
});

describe("metrics poisoning", () => {
  it("lets one connection feed presence_rtt_ms only what an honest client could measure", async () => {
    const server = await start();
    const c = await open(server, "r", "attacker");
    await c.ready;
    await new Promise((r) => setTimeout(r, 1100));
    const flood = new Array(RTT_BUCKETS_MS.length + 1).fill(0);
    flood[RTT_BUCKETS_MS.length] = 10_000; // 10 000 "slow" round trips a report
    // 10 reports: inside the control-message burst, so each one reaches the RTT budget.
    for (let i = 0; i < 10; i++) c.send({ type: MessageType.RTT_REPORT, counts: flood });
    const honest = new Array(RTT_BUCKETS_MS.length + 1).fill(0);
    honest[1] = 20; // one second's worth of patches
    c.send({ type: MessageType.RTT_REPORT, counts: honest });
    c.send({ type: MessageType.PING, t: 0 });
    await c.waitFor(() => c.errors.length >= 10, 5000, "every refusal");
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const count = Number(/presence_rtt_ms_count (\d+)/.exec(text)?.[1]);
    expect(count).toBe(20); // the flood moved nothing; the one plausible report counted
    expect(c.errors.map((e) => e.code)).toEqual(new Array(10).fill("MALFORMED_MESSAGE"));
    expect(c.ws.readyState).toBe(c.ws.OPEN);
  });
});

describe("start-up failures", () => {
  it("rejects when the port is taken and closes the pod (and its bus) it had created", async () => {
    const first = await start();
    const hub = createMemoryBus();
    const bus = hub.connect("pod-b");
    let busClosed = false;
    const close = bus.close.bind(bus);
    const spied = {
      ...bus,
      podId: bus.podId,
      close: () => {
        busClosed = true;
        return close();
      },
    };
    await expect(createPresenceServer({ auth: "dev", port: first.port, bus: spied })).rejects.toThrow(
      /EADDRINUSE|in use/i,
    );
    expect(busClosed).toBe(true);
  });
});
