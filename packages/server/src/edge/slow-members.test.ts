import { MessageType } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { batchEntries, roomFixture, updateEntry } from "../test-support/fake-room-member.js";
import { createMemberSnapshots } from "./member-snapshots.js";
import { BACKLOG_DROP_MS, createSlowMembers, LAG_POLL_MS } from "./slow-members.js";
import { BACKPRESSURE_BYTES } from "./socket-writes.js";

function setup() {
  const f = roomFixture();
  const snapshots = createMemberSnapshots({ ...f, now: f.clock.now, onSent: () => {} });
  const slow = createSlowMembers({ ...f, snapshots, now: f.clock.now });
  return { ...f, slow };
}

describe("slow members", () => {
  it("takes a skipped member out of fan-out and polls until its socket drains, then writes its backlog", async () => {
    const { add, slow, stats, clock } = setup();
    const a = add("a");
    slow.skip(a.member);
    expect(stats.slowSocketSkips).toBe(1);
    expect(a.member.lag).toBeDefined();
    a.member.lag?.set("x", [updateEntry("x", 1, { v: 1 })]);
    expect(slow.backlog()).toBe(1);
    a.ws.bufferedAmount = BACKPRESSURE_BYTES + 1;
    await clock.advance(LAG_POLL_MS);
    expect(a.received).toHaveLength(0);
    a.ws.bufferedAmount = 0;
    await clock.advance(LAG_POLL_MS);
    expect(batchEntries(a)).toMatchObject([{ connectionId: "x", clock: 1 }]);
    expect(a.member.lag).toBeUndefined();
    expect(clock.pending).toBe(0);
  });

  it("drops a backlog older than BACKLOG_DROP_MS and owes a snapshot instead", async () => {
    const { add, slow, stats, clock } = setup();
    const a = add("a");
    a.ws.bufferedAmount = BACKPRESSURE_BYTES + 1;
    slow.skip(a.member);
    a.member.lag?.set("x", [updateEntry("x", 1, { v: 1 })]);
    await clock.advance(BACKLOG_DROP_MS);
    expect(stats.backlogResets).toBe(0);
    await clock.advance(LAG_POLL_MS);
    expect(stats.backlogResets).toBe(1);
    expect(a.member.snapshotDue).toBe(0);
    a.ws.bufferedAmount = 0;
    await clock.advance(LAG_POLL_MS);
    expect(a.received.map((m) => m.type)).toEqual([MessageType.SNAPSHOT_CHUNK, MessageType.SNAPSHOT_DONE]);
  });

  it("writes an owed snapshot at once when the socket keeps up, and later when it does not", async () => {
    const { add, slow, clock } = setup();
    const a = add("a");
    slow.owe(a.member, 7);
    expect(a.received[1]).toMatchObject({ type: MessageType.SNAPSHOT_DONE, syncId: 7 });
    const b = add("b");
    b.ws.bufferedAmount = BACKPRESSURE_BYTES + 1;
    slow.owe(b.member, 3);
    expect(b.received).toHaveLength(0);
    slow.owe(b.member, 0); // a server-initiated snapshot never replaces a client's
    expect(b.member.snapshotDue).toBe(3);
    b.ws.bufferedAmount = 0;
    await clock.advance(LAG_POLL_MS);
    expect(b.received[1]).toMatchObject({ type: MessageType.SNAPSHOT_DONE, syncId: 3 });
  });

  it("forgets a member that left, and starts no poll after close", async () => {
    const { add, slow, clock } = setup();
    const a = add("a");
    slow.skip(a.member);
    slow.forget(a.member);
    expect(a.member.lag).toBeUndefined();
    slow.close();
    expect(clock.pending).toBe(0);
    slow.skip(add("b").member);
    expect(clock.pending).toBe(0);
  });
});
