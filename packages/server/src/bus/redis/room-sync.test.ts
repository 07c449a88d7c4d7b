// Room sync's timing-driven transitions (room-sync-phase.ts, room-housekeeping.ts,
// room-wake.ts, gap-repair.ts) driven by a fake clock over a scripted BusRedis:
// the logic, without Redis. What needs real Redis (scripts, NOGROUP, FLUSHALL,
// partitions) is redis-bus.integration.test.ts.
import type { BatchEntry, PeerState } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { createFakeClock, type FakeClock } from "../../test-support/fake-clock.js";
import { GAP_REPAIR_DELAY_MS } from "./gap-repair.js";
import { REDIS_BUS_DEFAULTS, roomSyncConfig } from "./redis-bus-config.js";
import { createRoomSync, REDIS_ORIGIN, type RoomSync } from "./room-sync.js";
import type { BusRedis } from "./scripts.js";
import { encodeStoredPeer, encodeStreamBatch } from "./stream-codec.js";

const POD = "pod-a";
const OWN_READ_MS = REDIS_BUS_DEFAULTS.ownReadMs;
const peer = (cid: string, clock = 1): PeerState => ({
  connectionId: cid,
  userId: "u",
  info: undefined,
  epoch: 1,
  clock,
  state: { c: clock },
});
const enter = (cid: string, clock = 1): BatchEntry => ({ kind: "enter", ...peer(cid, clock) });

type JoinReply = [number, Buffer[], Buffer[]];

/** A BusRedis whose join answers as the test says; every call is logged. */
function scriptedRedis(clock: FakeClock) {
  const calls: string[] = [];
  const stored = new Map<string, Buffer>();
  const joins: Array<() => Promise<JoinReply>> = [];
  const redis: BusRedis = {
    presenceAppend: async () => {
      calls.push("append");
      return "9-0";
    },
    presenceTouchBuffer: async () => {
      calls.push("touch");
      return [0, [], []];
    },
    presenceExpire: async () => 0,
    presenceJoinBuffer: () => {
      calls.push("join");
      const next = joins.shift() ?? (async (): Promise<JoinReply> => [clock.now(), [], []]);
      return next();
    },
    presenceMaintainBuffer: async () => [1, 0, [], []],
    xreadgroupBuffer: async (...args) => {
      calls.push(`read ${String(args.at(-1))}`);
      return null;
    },
    xack: async () => 1,
    hmgetBuffer: async (_key, ...cids) => {
      calls.push(`hmget ${cids.join(",")}`);
      return cids.map((c) => stored.get(c) ?? null);
    },
    xgroup: async () => "OK",
  };
  /** The join reply of a room holding `peers`, all seen just now. */
  const holding = (peers: PeerState[]) => async (): Promise<JoinReply> => [
    clock.now(),
    peers.flatMap((p) => [Buffer.from(p.connectionId), encodeStoredPeer(p)]),
    peers.flatMap((p) => [Buffer.from(p.connectionId), Buffer.from(String(clock.now()))]),
  ];
  return { redis, calls, stored, joins, holding };
}

function setup() {
  const clock = createFakeClock();
  const r = scriptedRedis(clock);
  const delivered: Array<{ origin: string; entries: readonly BatchEntry[] }> = [];
  const errors: string[] = [];
  let flushes = 0;
  const room: RoomSync = createRoomSync({
    roomId: "r",
    handler: (entries, origin) => delivered.push({ origin, entries }),
    redis: r.redis,
    config: roomSyncConfig(POD, {}),
    clock,
    inflight: { count: 0 },
    requestFlush: () => flushes++,
    onError: (_err, context) => errors.push(context),
  });
  /** Joins and lets the first catch-up read finish; clears the log. */
  const joined = async (): Promise<void> => {
    await room.join();
    await clock.settle();
    r.calls.length = 0;
  };
  return { clock, room, delivered, errors, joined, flushes: () => flushes, ...r };
}

describe("room sync", () => {
  it("retries a join that failed on the next tick, and hands over the state it then loads", async () => {
    const t = setup();
    t.joins.push(async () => {
      throw new Error("redis down");
    });
    expect(await t.room.join()).toEqual([]);
    expect(t.errors).toEqual(["join presence-{r}"]);
    t.joins.push(t.holding([peer("x")]));
    t.room.tick(OWN_READ_MS);
    await t.clock.settle();
    expect(t.calls.filter((c) => c === "join")).toHaveLength(2);
    expect(t.delivered).toEqual([{ origin: REDIS_ORIGIN, entries: [enter("x")] }]);
    expect(t.calls).toContain("read 0"); // joined: the catch-up drains the pending list first
    t.room.tick(OWN_READ_MS);
    await t.clock.settle();
    expect(t.calls.filter((c) => c === "join")).toHaveLength(2); // joined: no more joins
  });

  it("leaves out stored connections not seen for the expiry period", async () => {
    const t = setup();
    t.joins.push(async () => [
      t.clock.now(),
      [Buffer.from("old"), encodeStoredPeer(peer("old"))],
      [Buffer.from("old"), Buffer.from(String(t.clock.now() - REDIS_BUS_DEFAULTS.expiryMs - 1))],
    ]);
    expect(await t.room.join()).toEqual([]);
  });

  it("revives nothing when a join finishes after stop()", async () => {
    const t = setup();
    let answer: (reply: JoinReply) => void = () => {};
    t.joins.push(() => new Promise<JoinReply>((resolve) => (answer = resolve)));
    const joining = t.room.join();
    t.room.stop();
    await t
      .holding([peer("x")])()
      .then(answer);
    expect(await joining).toEqual([]);
    t.room.tick(OWN_READ_MS);
    await t.clock.advance(10_000);
    expect(t.calls).toEqual(["join"]); // no read, no second join
    expect(t.delivered).toEqual([]);
  });

  it("applies a wake-up's payload on arrival and reads the stream lazyReadMs later", async () => {
    const t = setup();
    await t.joined();
    t.room.onWake("5-0", "pod-b", encodeStreamBatch([enter("x")]));
    expect(t.delivered).toEqual([{ origin: "pod-b", entries: [enter("x")] }]);
    await t.clock.advance(REDIS_BUS_DEFAULTS.lazyReadMs - 1);
    expect(t.calls).toEqual([]);
    await t.clock.advance(1);
    expect(t.calls).toEqual(["read >"]);
  });

  it("reads at once for a wake-up without payload, and never for one of its own until the tick says so", async () => {
    const t = setup();
    await t.joined();
    t.room.onWake("6-0", "pod-b", undefined);
    await t.clock.settle();
    expect(t.calls).toEqual(["read >"]);
    t.calls.length = 0;
    t.room.onWake("7-0", POD, undefined); // own entry: joined → joined (ownUnread)
    t.room.tick(OWN_READ_MS); // the last read was just now
    await t.clock.settle();
    expect(t.calls).toEqual([]);
    await t.clock.advance(OWN_READ_MS);
    t.room.tick(OWN_READ_MS);
    await t.clock.settle();
    expect(t.calls).toEqual(["read >"]);
    await t.clock.advance(OWN_READ_MS);
    t.room.tick(OWN_READ_MS); // read: ownUnread is false again
    await t.clock.settle();
    expect(t.calls).toEqual(["read >"]);
  });

  it("holds back an update past a gap and repairs it from the state hash GAP_REPAIR_DELAY_MS later", async () => {
    const t = setup();
    await t.joined();
    t.room.onWake("1-0", "pod-b", encodeStreamBatch([enter("x", 1)]));
    t.delivered.length = 0;
    const gap: BatchEntry = {
      kind: "update",
      connectionId: "x",
      epoch: 1,
      base: 3,
      clock: 4,
      set: { c: 4 },
      del: [],
    };
    t.room.onWake("2-0", "pod-b", encodeStreamBatch([gap]));
    expect(t.delivered).toEqual([]);
    t.stored.set("x", encodeStoredPeer(peer("x", 4)));
    await t.clock.advance(GAP_REPAIR_DELAY_MS - 1);
    expect(t.calls.filter((c) => c.startsWith("hmget"))).toEqual([]);
    await t.clock.advance(1);
    expect(t.calls.filter((c) => c.startsWith("hmget"))).toEqual(["hmget x"]);
    expect(t.delivered).toEqual([{ origin: REDIS_ORIGIN, entries: [enter("x", 4)] }]);
  });

  it("re-asserts an own connection that another pod expired, instead of delivering the leave", async () => {
    const t = setup();
    await t.joined();
    t.room.publish([enter("mine", 2)]);
    t.room.flush(true);
    const flushes = t.flushes();
    t.room.onWake(
      "3-0",
      "sweeper",
      encodeStreamBatch([{ kind: "leave", connectionId: "mine", epoch: 1, clock: 2, reason: "expired" }]),
    );
    expect(t.delivered).toEqual([]);
    expect(t.flushes()).toBe(flushes + 1); // the re-assert is queued for the next flush
  });

  it("re-asserts every own connection at the first good touch after a lost write", async () => {
    const t = setup();
    await t.joined();
    t.room.publish([enter("mine")]);
    t.room.flush(false); // Redis unreachable: dropped, room lost
    expect(t.calls).toEqual([]);
    const flushes = t.flushes();
    t.room.touch(["mine"]);
    await t.clock.settle();
    expect(t.calls).toEqual(["touch"]);
    expect(t.flushes()).toBe(flushes + 1);
    t.room.flush(true);
    expect(t.calls).toEqual(["touch", "append"]);
  });

  it("stops: a pending lazy read and gap repair never fire", async () => {
    const t = setup();
    await t.joined();
    t.room.onWake("1-0", "pod-b", encodeStreamBatch([enter("x", 1)]));
    t.room.onWake(
      "2-0",
      "pod-b",
      encodeStreamBatch([
        { kind: "update", connectionId: "x", epoch: 1, base: 5, clock: 6, set: {}, del: [] },
      ]),
    );
    expect(t.clock.pending).toBe(2);
    t.room.stop();
    expect(t.clock.pending).toBe(0);
    await t.clock.advance(10_000);
    expect(t.calls).toEqual([]);
  });
});
