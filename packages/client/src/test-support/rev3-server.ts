// The server side of protocol revision 3 for the SDK's tests (PROTOCOL.md §4 "Revision
// 3"): an edge's alias table (one alias per connection and epoch, from a counter), and
// the frames it writes a revision-3 socket, made with the protocol package's encoders.
import {
  type AliasSource,
  batchFrameFromEntries,
  type ClientBatchEntry,
  createAliasAssigner,
  encode,
  encodeBatchEntryRev3,
  encodePeerRev3,
  MessageType,
  type PeerState,
} from "@collabblocks/protocol";
import { peer, welcomeFor } from "./fake-server.js";
import type { FakeSocket } from "./fake-socket.js";
import type { enterTestRoom } from "./room-harness.js";

/** An edge's alias table: a new alias for each connection and epoch, never reused. */
export const aliasTable = createAliasAssigner;

/** A revision-3 snapshot (one chunk and SNAPSHOT_DONE): peers carry their aliases. */
export function deliverSnapshotRev3(
  socket: FakeSocket,
  source: AliasSource,
  syncId: number,
  peers: PeerState[],
): void {
  const prefix = encode({ type: MessageType.SNAPSHOT_CHUNK, syncId, entries: [] }).subarray(0, -1);
  const body = batchFrameFromEntries(
    peers.map((p) => encodePeerRev3(p, source.announce(p.connectionId, p.epoch))),
  );
  socket.deliverData(Uint8Array.from([...prefix, ...body.subarray(2)]).buffer);
  socket.deliver({ type: MessageType.SNAPSHOT_DONE, syncId, total: peers.length });
}

/** A revision-3 BATCH. */
export function deliverBatchRev3(socket: FakeSocket, source: AliasSource, entries: ClientBatchEntry[]): void {
  socket.deliverData(
    batchFrameFromEntries(entries.map((e) => encodeBatchEntryRev3(e, source))).slice().buffer,
  );
}

/** Accepts the room's socket and joins it over revision 3: WELCOME, then a snapshot of `others` and itself. */
export async function joinRev3(
  t: Awaited<ReturnType<typeof enterTestRoom>>,
  source: AliasSource,
  others: PeerState[],
): Promise<FakeSocket> {
  const socket = t.net.last();
  const welcome = welcomeFor(socket);
  socket.accept();
  socket.deliver(welcome);
  const self = peer(welcome.connectionId, {}, { epoch: welcome.epoch, userId: "me" });
  deliverSnapshotRev3(socket, source, 0, [...others, self]);
  await t.clock.settle();
  return socket;
}
