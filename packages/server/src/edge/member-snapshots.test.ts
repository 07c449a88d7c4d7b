import { LARGE_ROOM_DEFAULT_VIEW, MessageType } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { SNAPSHOT_BYTES } from "../limits/snapshot-budget.js";
import { roomFixture } from "../test-support/fake-room-member.js";
import { createMemberSnapshots } from "./member-snapshots.js";
import { BACKPRESSURE_BYTES } from "./socket-writes.js";

function setup() {
  const f = roomFixture();
  const sent: string[] = [];
  const snapshots = createMemberSnapshots({
    ...f,
    now: f.clock.now,
    onSent: (m) => sent.push(m.connectionId),
  });
  return { ...f, snapshots, sent };
}

describe("member snapshots", () => {
  it("writes a member that sees everyone the whole room with its syncId, and says so", () => {
    const { add, snapshots, stats, sent } = setup();
    add("b");
    const a = add("a");
    a.member.snapshotDue = 4;
    snapshots.write(a.member, 4);
    expect(a.member.snapshotDue).toBeUndefined();
    expect(a.received.map((m) => m.type)).toEqual([MessageType.SNAPSHOT_CHUNK, MessageType.SNAPSHOT_DONE]);
    expect(a.received[1]).toMatchObject({ syncId: 4, total: 2 });
    expect(stats.snapshotChunks).toBe(1);
    expect(sent).toEqual(["a"]);
  });

  it("writes a filtered member only what its view selects", () => {
    const { add, snapshots } = setup();
    add("b");
    const a = add("a", { ...LARGE_ROOM_DEFAULT_VIEW, roster: 0 });
    snapshots.write(a.member, 0);
    expect(a.received[1]).toMatchObject({ total: 1 });
  });

  it("refuses while the socket is behind or the member's byte budget is spent", () => {
    const { add, snapshots } = setup();
    const a = add("a");
    expect(snapshots.mayWrite(a.member)).toBe(true);
    a.ws.bufferedAmount = BACKPRESSURE_BYTES + 1;
    expect(snapshots.mayWrite(a.member)).toBe(false);
    a.ws.bufferedAmount = 0;
    a.member.snapshotBytes.tokens = -SNAPSHOT_BYTES.burst;
    expect(snapshots.mayWrite(a.member)).toBe(false);
  });

  it("assembles the whole-room snapshot again only after invalidate", () => {
    const { add, snapshots, replica } = setup();
    const a = add("a");
    snapshots.write(a.member, 0);
    add("b"); // the replica changed, but nobody said so: the cached snapshot still holds one
    snapshots.write(a.member, 0);
    expect(a.received[3]).toMatchObject({ total: 1 });
    snapshots.invalidate();
    snapshots.write(a.member, 0);
    expect(a.received[5]).toMatchObject({ total: replica.snapshot().length });
  });
});
