// The Redis bus against a real redis-server (started here on a free port): two
// pods sharing rooms, persistence for late joiners, sweeping a crashed pod's
// connections, FLUSHALL and a partition. The server-level chaos tests (separate
// processes, kill -9, clusters) are in test/redis-*.integration.test.ts.

import type { BatchEntry, PeerState } from "@collabblocks/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "../../../../../test-support/wait-until.js";
import {
  type RedisServer,
  startRedisServer,
  startTcpProxy,
  type TcpProxy,
} from "../../test-support/redis-harness.js";
import { createRedisBus, type RedisBus, type RedisBusOptions } from "./redis-bus.js";
import { createRedisClients, type RedisClients } from "./redis-clients.js";

interface Pod {
  readonly bus: RedisBus;
  readonly clients: RedisClients;
  readonly got: { entries: BatchEntry[]; origins: string[] };
  touching: ReturnType<typeof setInterval> | undefined;
}

const peer = (cid: string, clock: number, state: Record<string, unknown>): PeerState => ({
  connectionId: cid,
  userId: `u-${cid}`,
  info: undefined,
  epoch: 1,
  clock,
  state: state as PeerState["state"],
});

const until = (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 8000) =>
  waitUntil(what, check, timeoutMs);

describe("redis bus", () => {
  let redis: RedisServer;
  const pods: Pod[] = [];
  const proxies: TcpProxy[] = [];

  const startPod = async (
    podId: string,
    url = redis.url,
    extra: Partial<RedisBusOptions> = {},
  ): Promise<Pod> => {
    const clients = createRedisClients({ kind: "single", url }, podId);
    const bus = createRedisBus({ podId, clients, ...extra });
    expect(await bus.whenConnected(5000)).toBe(true);
    const pod: Pod = { bus, clients, got: { entries: [], origins: [] }, touching: undefined };
    pods.push(pod);
    return pod;
  };
  const join = (pod: Pod, roomId: string): Promise<readonly PeerState[]> =>
    pod.bus.join(roomId, (entries, origin) => {
      pod.got.entries.push(...entries);
      pod.got.origins.push(origin);
    });
  /** Touches like a pod does: every second, its live connections. */
  const keepAlive = (pod: Pod, roomId: string, cids: string[]): void => {
    pod.touching = setInterval(() => pod.bus.touch(roomId, cids), 1000);
    pod.bus.touch(roomId, cids);
  };

  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    for (const p of pods) {
      if (p.touching) clearInterval(p.touching);
      await p.bus.close();
    }
    for (const p of proxies) await p.close();
    await redis?.stop();
  });

  it("delivers another pod's entries in order and never a pod's own", async () => {
    const a = await startPod("a1");
    const b = await startPod("b1");
    await join(a, "r1");
    await join(b, "r1");
    a.bus.publish("r1", [{ kind: "enter", ...peer("conn-a-000000000001", 0, { status: "idle" }) }]);
    for (let clock = 1; clock <= 20; clock++) {
      a.bus.publish("r1", [
        {
          kind: "update",
          connectionId: "conn-a-000000000001",
          epoch: 1,
          base: clock - 1,
          clock,
          set: { n: clock },
          del: [],
        },
      ]);
    }
    await until("b gets 21 entries", () => b.got.entries.length >= 21);
    expect(b.got.entries.map((e) => (e.kind === "update" ? e.clock : -1))).toEqual([
      -1,
      ...Array.from({ length: 20 }, (_, i) => i + 1),
    ]);
    expect(new Set(b.got.origins)).toEqual(new Set(["a1"]));
    expect(a.got.entries).toEqual([]);
  });

  it("reads entries from the stream when a flush is too big to ride in its wake-up", async () => {
    const a = await startPod("a-big");
    const b = await startPod("b-big", redis.url, { inlineWakeBytes: 0 });
    await join(a, "big");
    await join(b, "big");
    const cid = "conn-a-0000000000bg";
    a.bus.publish("big", [{ kind: "enter", ...peer(cid, 0, {}) }]);
    for (let clock = 1; clock <= 10; clock++) {
      a.bus.publish("big", [
        { kind: "update", connectionId: cid, epoch: 1, base: clock - 1, clock, set: { n: clock }, del: [] },
      ]);
    }
    await until("b gets all 11", () => b.got.entries.length === 11);
  });

  it("loses no update when its wake-ups are lost (subscriber connection killed mid-traffic)", async () => {
    const a = await startPod("a-lost");
    const b = await startPod("b-lost");
    await join(a, "lost");
    await join(b, "lost");
    const cid = "conn-a-0000000000ls";
    a.bus.publish("lost", [{ kind: "enter", ...peer(cid, 0, {}) }]);
    for (let clock = 1; clock <= 60; clock++) {
      a.bus.publish("lost", [
        { kind: "update", connectionId: cid, epoch: 1, base: clock - 1, clock, set: { n: clock }, del: [] },
      ]);
      if (clock === 20) await redis.cli("CLIENT", "KILL", "TYPE", "pubsub");
      await new Promise((r) => setTimeout(r, 10));
    }
    await until("b reaches clock 60", () => b.got.entries.some((e) => e.kind !== "leave" && e.clock === 60));
    // Every update applied in order (a lost one would have been repaired as an enter, not delivered).
    const clocks = b.got.entries
      .filter((e) => e.kind === "update")
      .map((e) => (e as { clock: number }).clock);
    expect(clocks).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });

  it("adds well under 2 ms p95 between publish and another pod's delivery on loopback (measured)", async () => {
    const a = await startPod("a-lat");
    const b = await startPod("b-lat");
    await join(a, "lat");
    const latencies: number[] = [];
    await b.bus.join("lat", (entries) => {
      for (const e of entries)
        if (e.kind === "update") latencies.push(performance.now() - (e.set.t as number));
    });
    const cid = "conn-a-00000000000l";
    a.bus.publish("lat", [{ kind: "enter", ...peer(cid, 0, {}) }]);
    for (let clock = 1; clock <= 300; clock++) {
      a.bus.publish("lat", [
        {
          kind: "update",
          connectionId: cid,
          epoch: 1,
          base: clock - 1,
          clock,
          set: { t: performance.now() },
          del: [],
        },
      ]);
      await new Promise((r) => setTimeout(r, 5));
    }
    await until("all delivered", () => latencies.length === 300);
    const sorted = [...latencies].sort((x, y) => x - y);
    const at = (q: number) => sorted[Math.floor((sorted.length - 1) * q)]!.toFixed(2);
    console.log(`[redis-bus] publish → other pod: p50 ${at(0.5)} p95 ${at(0.95)} p99 ${at(0.99)} ms (n=300)`);
  });

  it("gives a pod that joins later the room's persisted state, updates included", async () => {
    const a = await startPod("a2");
    await join(a, "r2");
    const cid = "conn-a-000000000002";
    a.bus.publish("r2", [{ kind: "enter", ...peer(cid, 0, { status: "idle" }) }]);
    a.bus.publish("r2", [
      { kind: "update", connectionId: cid, epoch: 1, base: 0, clock: 1, set: { x: 1 }, del: [] },
    ]);
    keepAlive(a, "r2", [cid]);
    await new Promise((r) => setTimeout(r, 1200)); // one touch flushes the update
    const b = await startPod("b2");
    const state = await join(b, "r2");
    expect(state).toEqual([peer(cid, 1, { status: "idle", x: 1 })]);
  });

  it("expires a crashed pod's connections everywhere within 5 s, at the newest version", async () => {
    const a = await startPod("a3");
    const b = await startPod("b3");
    await join(a, "r3");
    await join(b, "r3");
    const ca = "conn-a-000000000003";
    const cb = "conn-b-000000000003";
    a.bus.publish("r3", [{ kind: "enter", ...peer(ca, 0, {}) }]);
    b.bus.publish("r3", [{ kind: "enter", ...peer(cb, 0, {}) }]);
    keepAlive(a, "r3", [ca]);
    keepAlive(b, "r3", [cb]);
    // Updates that reach the stream but not yet the state hash (flushed each second).
    for (let clock = 1; clock <= 3; clock++) {
      a.bus.publish("r3", [
        { kind: "update", connectionId: ca, epoch: 1, base: clock - 1, clock, set: { n: clock }, del: [] },
      ]);
    }
    await until("b sees a's updates", () => b.got.entries.length >= 4);
    // "Crash": a stops touching and its connections drop, without any goodbye.
    clearInterval(a.touching);
    a.touching = undefined;
    await a.clients.close();
    const crashedAt = performance.now();
    await until("b gets a's expiry", () => b.got.entries.some((e) => e.kind === "leave"), 8000);
    const took = performance.now() - crashedAt;
    console.log(`[redis-bus] crashed pod's connection expired after ${Math.round(took)} ms`);
    expect(took).toBeLessThan(8000);
    const leave = b.got.entries.find((e) => e.kind === "leave");
    expect(leave).toEqual({ kind: "leave", connectionId: ca, epoch: 1, clock: 3, reason: "expired" });
  });

  it("repairs a gap (entries lost before it read them) from the state hash", async () => {
    const a = await startPod("a-gap");
    const b = await startPod("b-gap");
    await join(a, "gap");
    await join(b, "gap");
    const ca = "conn-a-0000000000gp";
    a.bus.publish("gap", [{ kind: "enter", ...peer(ca, 0, { v: 0 }) }]);
    await until("b sees the enter", () => b.got.entries.length === 1);
    // Clocks 1–5 never reach the stream (as after a failover that lost them): b sees 5 → 6.
    a.bus.publish("gap", [
      { kind: "update", connectionId: ca, epoch: 1, base: 5, clock: 6, set: { v: 6 }, del: [] },
    ]);
    keepAlive(a, "gap", [ca]); // flushes a's full state (clock 6) to the hash
    await until("b gets the stored state", () => b.got.entries.length >= 2, 5000);
    expect(b.got.entries[1]).toMatchObject({ kind: "enter", connectionId: ca, clock: 6, state: { v: 6 } });
    expect(b.got.origins[1]).toBe("redis");
  });

  it("destroys the consumer groups of pods that are gone", async () => {
    const a = await startPod("a-gone");
    const b = await startPod("b-gc", redis.url, { slowSweepMs: 200, groupGcIdleMs: 600 });
    await join(a, "gc");
    await join(b, "gc");
    const groups = async () =>
      (await redis.cli("XINFO", "GROUPS", "presence-{gc}"))
        .split("\n")
        .filter((_l, i, all) => all[i - 1] === "name");
    await until("both groups exist and have read", async () => (await groups()).length === 2);
    await a.clients.close(); // gone without a goodbye
    await until("a's group is destroyed", async () => (await groups()).join() === "b-gc", 5000);
  });

  it("recovers from FLUSHALL: groups and state come back, updates keep flowing", async () => {
    const a = await startPod("a4");
    const b = await startPod("b4");
    await join(a, "r4");
    await join(b, "r4");
    const ca = "conn-a-000000000004";
    a.bus.publish("r4", [{ kind: "enter", ...peer(ca, 0, { s: 0 }) }]);
    keepAlive(a, "r4", [ca]);
    await until("b sees a's enter", () => b.got.entries.length >= 1);
    await redis.cli("FLUSHALL");
    const flushedAt = performance.now();
    a.bus.publish("r4", [
      { kind: "update", connectionId: ca, epoch: 1, base: 0, clock: 1, set: { s: 1 }, del: [] },
    ]);
    await until("b sees an update after the flush", () =>
      b.got.entries.some((e) => e.kind !== "leave" && e.clock >= 1 && e.connectionId === ca),
    );
    await until(
      "state re-seeded",
      async () => (await redis.cli("HEXISTS", "presence-{r4}:state", ca)) === "1",
    );
    const took = performance.now() - flushedAt;
    console.log(`[redis-bus] state back in redis ${Math.round(took)} ms after FLUSHALL`);
    expect(took).toBeLessThan(8000);
  });

  it("serves a room while Redis is down at start, and joins it with its state once Redis answers", async () => {
    const late = await startRedisServer();
    const url = late.url;
    const seed = await startPod("seed-late", url);
    await join(seed, "late");
    const cs = "conn-s-00000000late";
    seed.bus.publish("late", [{ kind: "enter", ...peer(cs, 0, { s: 1 }) }]);
    keepAlive(seed, "late", [cs]);
    await late.kill9();
    const clients = createRedisClients({ kind: "single", url }, "b-late");
    const bus = createRedisBus({ podId: "b-late", clients });
    const pod: Pod = { bus, clients, got: { entries: [], origins: [] }, touching: undefined };
    pods.push(pod);
    expect(await join(pod, "late")).toEqual([]); // Redis down: the room starts empty, at once
    await late.restart();
    // The restart lost everything; the seed pod re-seeds, the late pod's retried join sees it.
    await until("the late pod gets the seed's connection", () =>
      pod.got.entries.some((e) => e.connectionId === cs),
    );
    if (pod.touching) clearInterval(pod.touching);
    clearInterval(seed.touching);
    seed.touching = undefined;
    await late.stop();
  });

  it("re-asserts a partitioned pod's connections with a fresher version when it heals", async () => {
    const proxy = await startTcpProxy(redis.port);
    proxies.push(proxy);
    const a = await startPod("a5", `redis://127.0.0.1:${proxy.port}`);
    const b = await startPod("b5");
    await join(a, "r5");
    await join(b, "r5");
    const ca = "conn-a-000000000005";
    const cb = "conn-b-000000000005";
    a.bus.publish("r5", [{ kind: "enter", ...peer(ca, 0, { s: "a" }) }]);
    b.bus.publish("r5", [{ kind: "enter", ...peer(cb, 0, {}) }]);
    keepAlive(a, "r5", [ca]);
    keepAlive(b, "r5", [cb]);
    await until("b sees a", () => b.got.entries.length >= 1);
    proxy.blackhole();
    await until("b sees a expire", () => b.got.entries.some((e) => e.kind === "leave"), 8000);
    proxy.heal();
    await until("b sees a come back", () => {
      const last = b.got.entries.filter((e) => e.connectionId === ca).at(-1);
      return last?.kind === "enter";
    });
    const leave = b.got.entries.find((e) => e.kind === "leave") as BatchEntry & { kind: "leave" };
    const back = b.got.entries.filter((e) => e.connectionId === ca).at(-1) as BatchEntry & { kind: "enter" };
    expect(back.epoch).toBe(leave.epoch);
    expect(back.clock).toBeGreaterThan(leave.clock);
    expect(back.state).toEqual({ s: "a" });
  });
});
