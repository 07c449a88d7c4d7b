// What the Redis bus stores, as bytes. Both formats reuse the protocol's hardened
// codec (packages/protocol/src/codec.ts), so whatever comes back from Redis — even
// written by a buggy or foreign process — is decoded with the same bounds and
// checks as a client frame, and a bad value becomes a ProtocolError, never a crash.
//
//  - stream field `d`: a BATCH frame holding the entries of one flush of one room
//    (a single update is a batch of one). Readers apply its entries in order.
//  - state hash value: a SNAPSHOT_CHUNK frame holding exactly one versioned entry
//    `[connectionId, userId, info, epoch, clock, state]` (the snapshot entry of PROTOCOL.md §4).
import {
  type BatchEntry,
  decodeServerMessage,
  encode,
  MessageType,
  type PeerState,
  ProtocolError,
  roomEntries,
  type Version,
} from "@collabblocks/protocol";

/** Encodes one flush's entries as the stream's `d` field. */
export function encodeStreamBatch(entries: readonly BatchEntry[]): Buffer {
  const bytes = encode({ type: MessageType.BATCH, entries });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes a stream `d` field. Throws ProtocolError("MALFORMED_MESSAGE") on anything but a batch. */
export function decodeStreamBatch(bytes: Uint8Array): readonly BatchEntry[] {
  const msg = decodeServerMessage(bytes);
  if (msg.type !== MessageType.BATCH)
    throw new ProtocolError("MALFORMED_MESSAGE", "stream entry is not a batch");
  return roomEntries(msg.entries);
}

/** Encodes one connection's versioned state as a state-hash value. */
export function encodeStoredPeer(peer: PeerState): Buffer {
  const bytes = encode({ type: MessageType.SNAPSHOT_CHUNK, syncId: 0, entries: [peer] });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes a state-hash value. Throws ProtocolError("MALFORMED_MESSAGE") on anything else. */
export function decodeStoredPeer(bytes: Uint8Array): PeerState {
  const msg = decodeServerMessage(bytes);
  if (msg.type !== MessageType.SNAPSHOT_CHUNK || msg.entries.length !== 1) {
    throw new ProtocolError("MALFORMED_MESSAGE", "state value is not a single snapshot entry");
  }
  return msg.entries[0] as PeerState;
}

/** The `cid` field of a stream entry: the connection when the batch holds one, else "*". */
export function batchConnectionField(entries: readonly BatchEntry[]): string {
  const first = entries[0]?.connectionId;
  if (first === undefined) return "*";
  for (const e of entries) if (e.connectionId !== first) return "*";
  return first;
}

/** The larger of two versions (either may be missing). */
export function maxVersion(a: Version | undefined, b: Version | undefined): Version | undefined {
  if (!a) return b;
  if (!b) return a;
  if (a.epoch !== b.epoch) return a.epoch > b.epoch ? a : b;
  return a.clock >= b.clock ? a : b;
}
