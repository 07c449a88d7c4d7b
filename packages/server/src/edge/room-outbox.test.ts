import { MessageType } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import {
  batchEntries,
  enterEntry,
  manualFlushTimers,
  roomFixture,
  updateEntry,
} from "../test-support/fake-room-member.js";
import { LARGE_ROOM_ARRIVAL_MS, LARGE_ROOM_JOIN_MS } from "../views/room-views.js";
import { createMemberSnapshots } from "./member-snapshots.js";
import { createOccupancyNotifier } from "./occupancy-notifier.js";
import { createRoomFanout } from "./room-fanout.js";
import { createRoomOutbox, dearFlushesShare } from "./room-outbox.js";
import { createSlowMembers } from "./slow-members.js";

/** `occupancyWakes: false` keeps OCCUPANCY's own timer from flushing, to see what else wakes the room. */
function setup(occupancyWakes = true) {
  const f = roomFixture(2);
  const manual = manualFlushTimers();
  const now = f.clock.now;
  const occupancy = createOccupancyNotifier({
    ...f,
    now,
    timers: manual.timers,
    send: () => true,
    requestFlush: () => (occupancyWakes ? outbox.requestViews() : undefined),
  });
  const snapshots = createMemberSnapshots({ ...f, now, onSent: occupancy.snapshotSent });
  const slow = createSlowMembers({ ...f, snapshots, now });
  const fanout = createRoomFanout({ ...f, slow, rider: occupancy.rider });
  const outbox = createRoomOutbox({
    ...f,
    fanout,
    slow,
    snapshots,
    occupancy,
    tickMs: 16,
    now,
    timers: manual.timers,
  });
  /** An entry as the room applies it: replica first, then the outbox. */
  const change = (e: Parameters<typeof outbox.enqueue>[0]) => {
    f.replica.apply(e);
    outbox.enqueue(e);
  };
  return { ...f, outbox, change, flush: manual.run };
}

describe("dear flushes", () => {
  it("keep to their share while joins wait, and in a room mostly served the shared frame", () => {
    expect(dearFlushesShare(0, 10_000, true)).toBe(true); // a join storm into a room of views
    expect(dearFlushesShare(0, 10_000, false)).toBe(false); // L1's steady state: back to back
    expect(dearFlushesShare(2_000, 2_000, false)).toBe(true); // the S3 slice: everyone sees everyone
    expect(dearFlushesShare(600, 1_000, false)).toBe(true);
    expect(dearFlushesShare(400, 1_000, false)).toBe(false);
  });
});

describe("room outbox", () => {
  it("coalesces queued entries per connection and sends them at the next flush", () => {
    const { add, outbox, change, flush } = setup();
    const a = add("a");
    change(updateEntry("a", 1, { x: 1 }));
    change(updateEntry("a", 2, { y: 1 }));
    expect(outbox.pending).toBe(1);
    expect(outbox.scheduler.scheduled).toBe(true);
    expect(a.received).toHaveLength(0);
    flush();
    expect(outbox.pending).toBe(0);
    expect(batchEntries(a)).toMatchObject([{ connectionId: "a", base: 0, clock: 2, set: { x: 1, y: 1 } }]);
  });

  it("lets the views learn each change, and owes a snapshot to members whose kind of view changed", () => {
    const { add, outbox, change, flush, views } = setup();
    const a = add("a");
    add("b");
    change(enterEntry("c")); // three members: above the threshold of 2, the room is large
    expect(views.large).toBe(true);
    expect(outbox.pending).toBe(1);
    flush();
    expect(a.received.map((m) => m.type)).toContain(MessageType.SNAPSHOT_DONE); // its new (filtered) view
  });

  it("flushes for the views alone when asked, with nothing queued", () => {
    const { outbox, flush } = setup();
    outbox.requestViews();
    expect(outbox.scheduler.scheduled).toBe(true);
    flush();
    expect(outbox.scheduler.flushes).toBe(1);
  });

  it("routes again once waiting view work is due, with nothing else happening (large-room arrivals)", async () => {
    const { add, change, flush, clock } = setup(false);
    const window = { x0: 0, y0: 0, x1: 100, y1: 100 };
    const v = add("v", { everyone: false, rect: window, field: "cursor", pinned: [], cap: 10, roster: 0 });
    add("b");
    add("c"); // three members: above the threshold of 2, the room is large
    flush();
    await clock.advance(LARGE_ROOM_JOIN_MS); // in the room a while: into the window, they move
    change(updateEntry("b", 1, { cursor: { x: 1, y: 1 } }));
    flush(); // the first arrival: at once
    change(updateEntry("c", 1, { cursor: { x: 2, y: 2 } }));
    flush(); // within LARGE_ROOM_ARRIVAL_MS: waits, and a wake-up is armed
    const entered = () =>
      batchEntries(v)
        .filter((e) => e.kind === "enter")
        .map((e) => e.connectionId);
    expect(entered()).toEqual(["b"]);
    await clock.advance(LARGE_ROOM_ARRIVAL_MS);
    flush(); // the wake-up asks for a flush
    flush(); // which routes c in
    expect(entered()).toEqual(["b", "c"]);
  });
});
