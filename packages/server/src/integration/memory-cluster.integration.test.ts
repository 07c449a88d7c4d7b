// Three servers in one process share a room through the memory bus: the
// multi-pod logic is tested here before Redis is involved (STYLE: socket.io's habit).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryBus, createPresenceServer, type MemoryBusHub, type PresenceServer } from "../index.js";
import { createDevClients } from "../test-support/dev-server.js";
import type { TestClient } from "../test-support/test-client.js";

const PER_SERVER = 10;
let hub: MemoryBusHub;
let servers: PresenceServer[];
const clients = createDevClients();

beforeAll(async () => {
  hub = createMemoryBus({ expiryMs: 1500, sweepIntervalMs: 250 });
  servers = await Promise.all(
    ["pod-a", "pod-b", "pod-c"].map((podId) =>
      createPresenceServer({ auth: "dev", port: 0, podId, bus: hub.connect(podId) }),
    ),
  );
});
afterAll(async () => {
  clients.terminateAll();
  await Promise.all(servers.map((s) => s.close()));
  hub.close();
});

describe("memory bus cluster", () => {
  it("converges clients of three pods in one room, and expires a stopped pod's clients", async () => {
    const room = "cluster-1";
    const byServer: TestClient[][] = [];
    for (const [i, server] of servers.entries()) {
      const group: TestClient[] = [];
      for (let n = 0; n < PER_SERVER; n++) group.push(await clients.join(server, room, `u${i}-${n}`));
      byServer.push(group);
    }
    const all = byServer.flat();
    for (const c of all) await c.waitFor(() => c.replica.size === all.length, 10_000, "everyone present");

    for (const [n, c] of all.entries()) c.update({ cursor: { x: n / all.length, y: 0.5 }, status: `s${n}` });
    for (const c of all) {
      await c.waitFor(
        () => all.every((o) => o === c || c.others().get(o.welcome!.connectionId)?.status === o.local.status),
        10_000,
        "cross-pod convergence",
      );
    }

    // A pod stops (no leaves on shutdown): the sweeper expires its clients everywhere.
    await servers[2]!.close();
    const gone = new Set(byServer[2]!.map((c) => c.welcome!.connectionId));
    const survivors = [...byServer[0]!, ...byServer[1]!];
    for (const c of survivors) {
      await c.waitFor(
        () => [...gone].every((cid) => !c.replica.get(cid)),
        10_000,
        "the stopped pod's clients to expire",
      );
      expect(
        c.events.filter((e) => gone.has(e.connectionId) && e.kind === "leave").map((e) => e.reason),
      ).toEqual(new Array(PER_SERVER).fill("expired"));
    }
    expect(hub.state(room)).toHaveLength(survivors.length);
  });
});
