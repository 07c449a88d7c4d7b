import { LARGE_ROOM_DEFAULT_VIEW, MessageType } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { batchEntries, roomFixture, updateEntry } from "../test-support/fake-room-member.js";
import { createMemberSnapshots } from "./member-snapshots.js";
import { createRoomFanout } from "./room-fanout.js";
import { createSlowMembers } from "./slow-members.js";
import { BACKPRESSURE_BYTES, type Framed, preframe } from "./socket-writes.js";

function setup(riders = new Map<string, Framed>()) {
  const f = roomFixture();
  const snapshots = createMemberSnapshots({ ...f, now: f.clock.now, onSent: () => {} });
  const slow = createSlowMembers({ ...f, snapshots, now: f.clock.now });
  const fanout = createRoomFanout({ ...f, slow, rider: (m) => riders.get(m.connectionId) });
  return { ...f, fanout, slow };
}

const FILTERED = { ...LARGE_ROOM_DEFAULT_VIEW, roster: 0 };

describe("room fan-out", () => {
  it("writes one frame, the same bytes, to every member that sees everyone, and counts it per socket", () => {
    const { add, fanout, stats } = setup();
    const a = add("a");
    const b = add("b");
    const f = add("f", FILTERED);
    fanout.shared([updateEntry("a", 1, { x: 1 }), updateEntry("b", 1, { y: 1 })]);
    expect(a.frames).toHaveLength(1);
    expect(b.frames[0]).toBe(a.frames[0]);
    expect(f.frames).toHaveLength(0); // filtered: served by its own selection
    expect(stats.framesOut).toBe(2);
    expect(stats.updatesOut).toBe(4);
    expect(stats.bytesOut).toBe(2 * (a.frames[0] as Uint8Array).length);
  });

  it("skips a socket that is behind and coalesces the frame's entries into its backlog instead", () => {
    const { add, fanout, stats } = setup();
    const a = add("a");
    a.ws.bufferedAmount = BACKPRESSURE_BYTES + 1;
    fanout.shared([updateEntry("x", 1, { v: 1 })]);
    fanout.shared([updateEntry("x", 2, { v: 2 })]);
    expect(a.frames).toHaveLength(0);
    expect(stats.slowSocketSkips).toBe(1);
    expect(a.member.lag?.get("x")).toMatchObject([{ base: 0, clock: 2, set: { v: 2 } }]);
  });

  it("sends filtered members their own entries, one frame shared by members with the same selection", () => {
    const { add, fanout, stats } = setup();
    const f1 = add("f1", FILTERED);
    const f2 = add("f2", FILTERED);
    const f3 = add("f3", FILTERED);
    const e = updateEntry("m", 1, { x: 1 });
    const other = updateEntry("n", 1, { x: 1 });
    fanout.filtered(
      new Map([
        ["f1", [e]],
        ["f2", [e]],
        ["f3", [e, other]],
      ]),
    );
    expect(f2.frames[0]).toBe(f1.frames[0]);
    expect(batchEntries(f3)).toHaveLength(2);
    expect(f3.received[0]?.type).toBe(MessageType.BATCH);
    expect(stats.updatesOut).toBe(4);
  });

  it("owes a filtered member that is behind a snapshot instead of queueing for it", () => {
    const { add, fanout } = setup();
    const f = add("f", FILTERED);
    f.ws.bufferedAmount = BACKPRESSURE_BYTES + 1;
    fanout.filtered(new Map([["f", [updateEntry("m", 1, { x: 1 })]]]));
    expect(f.frames).toHaveLength(0);
    expect(f.member.snapshotDue).toBe(0);
    expect(f.member.lag?.size).toBe(0);
  });

  it("writes a filtered member's owed OCCUPANCY in the same write as its batch", () => {
    const occupancy = preframe(Uint8Array.of(0x94, 120, 3, 2, 0));
    const { add, fanout, stats } = setup(new Map([["f1", occupancy]]));
    const f1 = add("f1", FILTERED);
    const f2 = add("f2", FILTERED);
    const e = updateEntry("m", 1, { x: 1 });
    fanout.filtered(
      new Map([
        ["f1", [e]],
        ["f2", [e]],
      ]),
    );
    expect(f1.frames).toHaveLength(2);
    expect(f1.frames[1]).toBe(occupancy.payload);
    expect(f2.frames).toHaveLength(1);
    expect(stats.framesOut).toBe(3);
  });
});
