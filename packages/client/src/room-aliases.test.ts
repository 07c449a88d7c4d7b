// Revision 3 (PROTOCOL.md §4 "Revision 3: aliases and compact moves") in the SDK: the
// socket's alias table is filled by snapshots and enters, compact moves land in
// getOthers() like any update, an alias the socket was never told is corrupt input
// answered with a resync, and a new socket starts with an empty table.
import {
  type AliasSource,
  batchFrameFromEntries,
  type ClientBatchEntry,
  encode,
  encodeBatchEntryRev3,
  encodePeerRev3,
  MessageType,
  type PeerState,
} from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { ALICE, BOB, peer, welcomeFor } from "./test-support/fake-server.js";
import type { FakeSocket } from "./test-support/fake-socket.js";
import { enterTestRoom } from "./test-support/room-harness.js";

/** A server's alias table: one alias per connection id (one epoch in these tests). */
function aliases(): AliasSource {
  const byId = new Map<string, number>();
  return {
    announce(cid) {
      if (!byId.has(cid)) byId.set(cid, byId.size);
      return byId.get(cid) as number;
    },
    lookup: (cid) => byId.get(cid),
  };
}

function deliverSnapshot(socket: FakeSocket, source: AliasSource, syncId: number, peers: PeerState[]): void {
  const prefix = encode({ type: MessageType.SNAPSHOT_CHUNK, syncId, entries: [] }).subarray(0, -1);
  const body = batchFrameFromEntries(
    peers.map((p) => encodePeerRev3(p, source.announce(p.connectionId, p.epoch))),
  );
  socket.deliverData(Uint8Array.from([...prefix, ...body.subarray(2)]).buffer);
  socket.deliver({ type: MessageType.SNAPSHOT_DONE, syncId, total: peers.length });
}

function deliverBatch(socket: FakeSocket, source: AliasSource, entries: ClientBatchEntry[]): void {
  socket.deliverData(
    batchFrameFromEntries(entries.map((e) => encodeBatchEntryRev3(e, source))).slice().buffer,
  );
}

const move = (cid: string, clock: number, x: number, y: number): ClientBatchEntry => ({
  kind: "update",
  connectionId: cid,
  epoch: 1,
  base: clock - 1,
  clock,
  set: { cursor: { x, y } },
  del: [],
});

/** Joins over revision 3: WELCOME, then a snapshot whose peers carry aliases. */
async function joinRev3(
  t: Awaited<ReturnType<typeof enterTestRoom>>,
  source: AliasSource,
  others: PeerState[],
) {
  const socket = t.net.last();
  const welcome = welcomeFor(socket);
  socket.accept();
  socket.deliver(welcome);
  deliverSnapshot(socket, source, 0, [
    ...others,
    peer(welcome.connectionId, {}, { epoch: welcome.epoch, userId: "me" }),
  ]);
  await t.clock.settle();
  return socket;
}

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
