// Revision 3 (PROTOCOL.md §4 "Revision 3: aliases and compact moves") in the SDK: the
// socket's alias table is filled by snapshots and enters, compact moves land in
// getOthers() like any update, an alias the socket was never told is corrupt input
// answered with a resync, and a new socket starts with an empty table.
import { type ClientBatchEntry, MessageType } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { ALICE, BOB, peer } from "./test-support/fake-server.js";
import {
  aliasTable as aliases,
  deliverBatchRev3 as deliverBatch,
  deliverSnapshotRev3 as deliverSnapshot,
  joinRev3,
} from "./test-support/rev3-server.js";
import { enterTestRoom } from "./test-support/room-harness.js";

const move = (cid: string, clock: number, x: number, y: number): ClientBatchEntry => ({
  kind: "update",
  connectionId: cid,
  epoch: 1,
  base: clock - 1,
  clock,
  set: { cursor: { x, y } },
  del: [],
});

describe("room: revision 3 entries", () => {
  it("applies compact moves and aliased entries of members learnt from the snapshot and from enters", async () => {
    const t = await enterTestRoom();
    const source = aliases();
    const socket = await joinRev3(t, source, [peer(ALICE, { status: "a" })]);
    deliverBatch(socket, source, [
      move(ALICE, 1, 0.5, 0.25),
      { kind: "enter", ...peer(BOB, { status: "b" }) },
      move(BOB, 1, 523 / 1280, 377 / 720),
    ]);
    await t.clock.settle();
    expect(t.room.getOther(ALICE)).toMatchObject({ status: "a", cursor: { x: 0.5, y: 0.25 } });
    expect(t.room.getOther(BOB)).toMatchObject({ status: "b", cursor: { x: 523 / 1280, y: 377 / 720 } });
    deliverBatch(socket, source, [{ kind: "leave", connectionId: BOB, epoch: 1, clock: 1, reason: "left" }]);
    await t.clock.settle();
    expect(t.room.getOther(BOB)).toBeUndefined();
    expect(socket.sentOfType(MessageType.SYNC_REQUEST)).toEqual([]);
  });

  it("answers an alias it was never told with a resync, whose snapshot teaches it", async () => {
    const t = await enterTestRoom();
    const source = aliases();
    const socket = await joinRev3(t, source, []);
    source.announce(ALICE, 1); // the server announced ALICE in a frame this socket never got
    deliverBatch(socket, source, [move(ALICE, 1, 0.5, 0.5)]);
    await t.clock.settle();
    const [request] = socket.sentOfType(MessageType.SYNC_REQUEST);
    expect(request?.syncId).toBeGreaterThanOrEqual(1);
    expect(t.room.getOther(ALICE)).toBeUndefined();
    deliverSnapshot(socket, source, request?.syncId ?? 0, [
      peer(ALICE, { cursor: { x: 0.5, y: 0.5 } }, { clock: 1 }),
      peer(t.room.connectionId, {}, { epoch: 1, userId: "me" }),
    ]);
    deliverBatch(socket, source, [move(ALICE, 2, 0.75, 0.5)]);
    await t.clock.settle();
    expect(t.room.getOther(ALICE)?.cursor).toEqual({ x: 0.75, y: 0.5 });
  });
});
