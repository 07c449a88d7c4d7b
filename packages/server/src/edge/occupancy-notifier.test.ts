import { decodeServerMessage } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { createFakeClock } from "../test-support/fake-clock.js";
import { createRoomViews } from "../views/room-views.js";
import { createOccupancyNotifier, occupancyInterval } from "./occupancy-notifier.js";

function setup(threshold: number, timerEarlyMs = 0) {
  const clock = createFakeClock();
  const states = new Map<
    string,
    {
      connectionId: string;
      userId: string;
      info: undefined;
      epoch: number;
      clock: number;
      state: Record<string, never>;
    }
  >();
  const views = createRoomViews({
    largeRoomThreshold: threshold,
    stateOf: (cid) => states.get(cid),
    now: clock.now,
  });
  const members = new Map<string, { connectionId: string; lag: unknown }>();
  const sent: { to: string; msg: unknown }[] = [];
  let flushes = 0;
  const notifier = createOccupancyNotifier({
    views,
    members,
    now: clock.now,
    timers: {
      setImmediate: (fn) => clock.setTimeout(fn, 0),
      clearImmediate: clock.clearTimeout,
      // Node's timers may fire up to a millisecond early against a fractional monotonic clock.
      setTimeout: (fn, ms) => clock.setTimeout(fn, Math.max(0, ms - timerEarlyMs)),
      clearTimeout: clock.clearTimeout,
    },
    send: (m, frame) => sent.push({ to: m.connectionId, msg: decodeServerMessage(frame.payload) }) > 0,
    requestFlush: () => {
      flushes++;
      flush();
    },
  });
  /** What the room's flush does (room-outbox.ts): a due pass before its batches, a due settle after. */
  const flush = () => {
    notifier.settling();
    notifier.flush();
    notifier.settle();
  };
  const add = (cid: string, user: string) => {
    const peer = { connectionId: cid, userId: user, info: undefined, epoch: 1, clock: 1, state: {} };
    states.set(cid, peer);
    views.addViewer(cid);
    members.set(cid, { connectionId: cid, lag: undefined });
    views.observe({ kind: "enter", ...peer }, peer);
    notifier.changed();
  };
  return { clock, views, sent, add, notifier, flush, flushes: () => flushes };
}

describe("createOccupancyNotifier", () => {
  it("sends nothing in a small room where every connection sees everyone", async () => {
    const t = setup(10);
    t.add("a", "alice");
    t.add("b", "bob");
    t.flush();
    expect(t.sent).toEqual([]);
    await t.clock.advance(10_000);
    expect(t.flushes()).toBe(0); // no pass timed, no flush asked for (1 000 rooms of 10 would pay it)
  });

  it("in a large room owes each connection the exact size after a pass, written on its own when no batch came", async () => {
    const t = setup(1);
    t.add("a", "alice");
    t.add("b", "alice");
    t.flush(); // a pass: owed, nothing written yet
    expect(t.sent).toEqual([]);
    await t.clock.advance(occupancyInterval(2)); // no batch for them: settled on their own
    expect(t.sent.map((s) => s.to).sort()).toEqual(["a", "b"]);
    expect(t.sent[0]?.msg).toMatchObject({ connections: 2, users: 1, omitted: 0 });
    t.add("c", "carol");
    t.flush(); // the next pass, then settled after an interval
    await t.clock.advance(occupancyInterval(3));
    expect(t.sent.slice(2).map((s) => s.msg)).toEqual([
      expect.objectContaining({ connections: 3, users: 2 }),
      expect.objectContaining({ connections: 3, users: 2 }),
      expect.objectContaining({ connections: 3, users: 2 }),
    ]);
    t.flush(); // nothing changed: nothing sent
    await t.clock.advance(occupancyInterval(3));
    expect(t.sent).toHaveLength(5);
  });

  it("settles owed members even when the timer fires early", async () => {
    const t = setup(1, 0.7);
    t.add("a", "alice");
    t.add("b", "bob");
    t.flush();
    await t.clock.advance(occupancyInterval(2) + 5);
    expect(t.sent.map((s) => s.to).sort()).toEqual(["a", "b"]);
  });

  it("rides an owed OCCUPANCY on the member's next batch instead of a write of its own", async () => {
    const t = setup(1);
    t.add("a", "alice");
    t.add("b", "bob");
    t.flush();
    const member = { connectionId: "a", lag: undefined };
    const rider = t.notifier.rider(member);
    expect(decodeServerMessage(rider?.payload ?? new Uint8Array())).toMatchObject({
      connections: 2,
      users: 2,
    });
    expect(t.notifier.rider(member)).toBeUndefined(); // owed once per pass
    await t.clock.advance(occupancyInterval(2));
    expect(t.sent.map((s) => s.to)).toEqual(["b"]); // only b, which got no batch, is written
  });

  it("names the members a due settle will write before the flush's batches, and writes only those no batch took", async () => {
    const t = setup(1);
    t.add("a", "alice");
    t.add("b", "bob");
    t.flush(); // a pass: both owed
    expect(t.notifier.settling()).toBeUndefined(); // not due yet
    await t.clock.advance(occupancyInterval(2) - 0.5); // due (within the timer grain), its timer not yet fired
    // The room's flush when the settle is due: told who will be written (their arrivals go along)…
    expect([...(t.notifier.settling() ?? [])].sort()).toEqual(["a", "b"]);
    t.notifier.flush();
    t.notifier.rider({ connectionId: "a", lag: undefined }); // …a's numbers ride its batch…
    t.notifier.settle(); // …and only b is written on its own
    expect(t.sent.map((s) => s.to)).toEqual(["b"]);
    expect(t.notifier.settling()).toBeUndefined();
  });

  it("sends a member its numbers right after its snapshot, and nothing more while they hold", async () => {
    const t = setup(1);
    t.add("a", "alice");
    t.add("b", "bob");
    t.notifier.snapshotSent({ connectionId: "a", lag: undefined });
    expect(t.sent.map((s) => s.to)).toEqual(["a"]);
    t.flush();
    await t.clock.advance(occupancyInterval(2));
    expect(t.sent.map((s) => s.to)).toEqual(["a", "b"]);
  });
});

describe("occupancyInterval", () => {
  it("spaces passes by room size: 250 ms for small rooms, 1 s at 10 000, 2 s at most", () => {
    expect(occupancyInterval(10)).toBe(250);
    expect(occupancyInterval(10_000)).toBe(1000);
    expect(occupancyInterval(100_000)).toBe(2000);
  });
});
