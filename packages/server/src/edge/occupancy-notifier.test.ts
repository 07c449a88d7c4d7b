import { decodeServerMessage } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { createFakeClock } from "../test-support/fake-clock.js";
import { createRoomViews } from "../views/room-views.js";
import { createOccupancyNotifier, occupancyInterval } from "./occupancy-notifier.js";

function setup(threshold: number) {
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
      setTimeout: clock.setTimeout,
      clearTimeout: clock.clearTimeout,
    },
    send: (m, frame) => sent.push({ to: m.connectionId, msg: decodeServerMessage(frame) }) > 0,
    requestFlush: () => {
      flushes++;
      notifier.flush();
    },
  });
  const add = (cid: string, user: string) => {
    const peer = { connectionId: cid, userId: user, info: undefined, epoch: 1, clock: 1, state: {} };
    states.set(cid, peer);
    views.addViewer(cid);
    members.set(cid, { connectionId: cid, lag: undefined });
    views.observe({ kind: "enter", ...peer }, peer);
    notifier.changed();
  };
  return { clock, views, sent, add, notifier, flushes: () => flushes };
}

describe("createOccupancyNotifier", () => {
  it("sends nothing in a small room where every connection sees everyone", () => {
    const t = setup(10);
    t.add("a", "alice");
    t.add("b", "bob");
    t.notifier.flush();
    expect(t.sent).toEqual([]);
  });

  it("in a large room sends each connection the exact size, at most once per interval, and the last numbers", async () => {
    const t = setup(1);
    t.add("a", "alice");
    t.add("b", "alice");
    t.notifier.flush();
    expect(t.sent.map((s) => s.to).sort()).toEqual(["a", "b"]);
    expect(t.sent[0]?.msg).toMatchObject({ connections: 2, users: 1, omitted: 0 });
    t.add("c", "carol");
    t.notifier.flush(); // inside the interval: deferred to a timer
    expect(t.sent).toHaveLength(2);
    await t.clock.advance(occupancyInterval(1));
    expect(t.flushes()).toBe(1);
    expect(t.sent.slice(2).map((s) => s.msg)).toEqual([
      expect.objectContaining({ connections: 3, users: 2 }),
      expect.objectContaining({ connections: 3, users: 2 }),
      expect.objectContaining({ connections: 3, users: 2 }),
    ]);
    t.notifier.flush(); // nothing changed: nothing sent
    expect(t.sent).toHaveLength(5);
  });
});

describe("occupancyInterval", () => {
  it("spaces passes by room size: 250 ms for small rooms, 1 s at 10 000, 2 s at most", () => {
    expect(occupancyInterval(10)).toBe(250);
    expect(occupancyInterval(10_000)).toBe(1000);
    expect(occupancyInterval(100_000)).toBe(2000);
  });
});
