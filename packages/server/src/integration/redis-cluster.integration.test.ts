// Scaled mode on a Redis Cluster of 3 masters + 3 replicas (started here on free
// ports below 55 535): separate `collabblocks serve --redis-cluster` processes
// converge on rooms whose keys live on different masters, keep a bounded number
// of Redis connections, and converge again after a master is killed and its
// replica takes over (docs/SCALING.md#pod-and-redis-the-rules, issue 5).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type PresenceProcess,
  startPresenceProcess,
  startTokenAuthority,
  type TokenAuthority,
  waitConverged,
} from "../test-support/presence-processes.js";
import { type RedisCluster, type RedisServer, startRedisCluster } from "../test-support/redis-harness.js";
import type { TestClient } from "../test-support/test-client.js";

let cluster: RedisCluster;
let auth: TokenAuthority;
const p: PresenceProcess[] = [];
const clients: TestClient[] = [];
/** One room per master: room id → the master holding its keys. */
const rooms = new Map<string, RedisServer>();

const log = (msg: string): void => console.log(`[redis-cluster] ${msg}`);

beforeAll(async () => {
  [cluster, auth] = await Promise.all([startRedisCluster(), startTokenAuthority()]);
  const args = ["--jwks-url", auth.jwksUrl, "--redis-cluster", cluster.seeds];
  p.push(
    ...(await Promise.all([
      startPresenceProcess(args, "cpod-a"),
      startPresenceProcess(args, "cpod-b"),
      startPresenceProcess(args, "cpod-c"),
    ])),
  );
  for (let i = 0; rooms.size < 3 && i < 200; i++) {
    const room = `slot-room-${i}`;
    const master = await cluster.masterFor(`presence-{${room}}`);
    if (![...rooms.values()].includes(master)) rooms.set(room, master);
  }
});

afterAll(async () => {
  for (const c of clients) c.terminate();
  await Promise.all(p.map((s) => s.kill9()));
  await auth?.close();
  await cluster?.stop();
});

/** Clients per room: 2 on each process, each with a state. */
async function populateRooms(): Promise<Map<string, TestClient[]>> {
  const byRoom = new Map<string, TestClient[]>();
  for (const room of rooms.keys()) {
    const list: TestClient[] = [];
    for (const [i, s] of p.entries()) {
      for (let k = 0; k < 2; k++) {
        const c = await auth.connect(s, room, `${room}-u${i}-${k}`);
        clients.push(c);
        c.update({ status: "here", cursor: { x: i / 3, y: k / 2 } });
        list.push(c);
      }
    }
    byRoom.set(room, list);
  }
  return byRoom;
}

describe("scaled mode on a Redis Cluster", () => {
  let byRoom: Map<string, TestClient[]>;

  it("converges 3 processes on rooms whose keys live on 3 different masters", async () => {
    expect(rooms.size).toBe(3);
    byRoom = await populateRooms();
    for (const [room, list] of byRoom) {
      for (const [n, c] of list.entries()) c.update({ n });
      await waitConverged(list, list, 15_000, `room ${room}`);
    }
  });

  it("uses at most 2 connections per master per process (6 here), whatever the room count", async () => {
    const lists = await Promise.all(cluster.nodes.map((n) => n.cli("CLIENT", "LIST").catch(() => "")));
    for (const s of p) {
      const mine = lists
        .flatMap((l) => l.split("\n"))
        .filter((l) => new RegExp(`name=\\S*cb-${s.podId} `).test(l));
      log(`${s.podId}: ${mine.length} Redis connections over ${cluster.nodes.length} nodes`);
      expect(mine.length).toBeLessThanOrEqual(6);
    }
  });

  it("converges again after a master is killed and its replica takes over", async () => {
    const [room, master] = [...rooms.entries()][0]!;
    const list = byRoom.get(room)!;
    await master.kill9();
    const killedAt = performance.now();
    // Traffic during the failover: some of it is lost with the master, then repaired.
    for (let round = 0; round < 10; round++) {
      for (const [n, c] of list.entries()) c.update({ round, n });
      await new Promise((r) => setTimeout(r, 200));
    }
    await cluster.waitHealthy(20_000);
    const failedOver = performance.now() - killedAt;
    for (const [n, c] of list.entries()) c.update({ after: n });
    await waitConverged(list, list, 20_000, `room ${room} after failover`).catch((err: Error) => {
      throw new Error(`${err.message}\n${p.map((s) => s.output().slice(-2000)).join("\n")}`);
    });
    log(
      `failover: cluster healthy ${Math.round(failedOver)} ms after the kill, ` +
        `views converged ${Math.round(performance.now() - killedAt)} ms after it`,
    );
    // The other rooms kept working throughout.
    for (const [other, l] of byRoom) {
      if (other === room) continue;
      l[0]!.update({ status: "still fine" });
      await waitConverged(l, l, 10_000, `room ${other}`);
    }
    for (const s of p) expect(s.child.exitCode, `${s.podId} crashed`).toBeNull();
  });
});
