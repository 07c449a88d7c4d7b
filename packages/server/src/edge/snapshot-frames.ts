// Snapshot frames (SNAPSHOT_CHUNK… + SNAPSHOT_DONE) assembled from per-peer
// encodings that are cached by PeerState identity. Replicas replace a PeerState
// object whenever it changes, so a cached encoding is valid for as long as the
// object lives, and a join into a room of n peers costs n buffer copies instead
// of n MsgPack encodings (twice: chunkSnapshot sizes entries by encoding them).
// A peer's bytes come from the protocol's own encodePeer, and the chunk header
// from its encode, so the bytes are identical to `encode` of the same message
// (checked by the unit test) and the server never re-implements the format.
import {
  encode,
  encodePeer,
  MAX_SNAPSHOT_CHUNK_BYTES,
  MessageType,
  type PeerState,
} from "@collabblocks/protocol";

const cache = new WeakMap<PeerState, Uint8Array>();

/** A peer in the codec's positional form, cached while the PeerState object lives. */
function encodedPeer(p: PeerState): Uint8Array {
  let bytes = cache.get(p);
  if (bytes === undefined) {
    bytes = encodePeer(p);
    cache.set(p, bytes);
  }
  return bytes;
}

/** MsgPack array header for n elements (fixarray, array16, array32). */
function arrayHeader(n: number): Uint8Array {
  if (n < 16) return Uint8Array.of(0x90 | n);
  if (n < 0x10000) return Uint8Array.of(0xdc, n >> 8, n & 0xff);
  return Uint8Array.of(0xdd, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** A snapshot's chunk bodies (array header + peers), without the [201, syncId] prefix. */
interface ChunkBodies {
  readonly bodies: Buffer[];
  readonly total: number;
}

/** A peer's bytes inside a chunk: revision 2's cached encodePeer, or revision 3's with its alias. */
type PeerEncoder = (p: PeerState) => Uint8Array;

function chunkBodies(peers: readonly PeerState[], maxBytes: number, peerBytes: PeerEncoder): ChunkBodies {
  // 5 = the largest array header; 10 = the prefix [201, syncId] with the largest syncId.
  const budget = maxBytes - 10 - 5;
  const bodies: Buffer[] = [];
  let parts: Uint8Array[] = [];
  let size = 0;
  const close = (): void => {
    const header = arrayHeader(parts.length);
    bodies.push(Buffer.concat([header, ...parts], header.length + size));
  };
  for (const p of peers) {
    const bytes = peerBytes(p);
    if (parts.length > 0 && size + bytes.length > budget) {
      close();
      parts = [];
      size = 0;
    }
    parts.push(bytes);
    size += bytes.length;
  }
  close();
  return { bodies, total: peers.length };
}

/** Encoded snapshot frames, how many are chunks, and their bytes in all. */
export interface SnapshotFrames {
  readonly frames: Uint8Array[];
  readonly chunks: number;
  readonly bytes: number;
}

function framesFor(chunked: ChunkBodies, syncId: number): SnapshotFrames {
  // [201, syncId, …]: the three-element array header and the first two fields.
  const full = encode({ type: MessageType.SNAPSHOT_CHUNK, syncId, entries: [] });
  const prefix = full.subarray(0, full.length - 1); // drop the empty array's 0x90
  const frames: Uint8Array[] = chunked.bodies.map((body) =>
    Buffer.concat([prefix, body], prefix.length + body.length),
  );
  const chunks = frames.length;
  frames.push(encode({ type: MessageType.SNAPSHOT_DONE, syncId, total: chunked.total }));
  let bytes = 0;
  for (const f of frames) bytes += f.length;
  return { frames, chunks, bytes };
}

/**
 * Encodes a snapshot as frames: chunks of at most `maxBytes` each (at least one,
 * possibly empty), then SNAPSHOT_DONE with the total.
 */
export function encodeSnapshotFrames(
  peers: readonly PeerState[],
  syncId: number,
  maxBytes = MAX_SNAPSHOT_CHUNK_BYTES,
  peerBytes: PeerEncoder = encodedPeer,
): SnapshotFrames {
  return framesFor(chunkBodies(peers, maxBytes, peerBytes), syncId);
}

/**
 * A room's whole snapshot, chunked once per change window: between two changes
 * every request (joins, SYNC_REQUESTs) costs one copy per chunk to put its
 * syncId in front, not a walk of the room (docs/SECURITY.md#amplification).
 */
export interface SnapshotCache {
  /** The room changed: the next request re-chunks. */
  invalidate(): void;
  frames(syncId: number): SnapshotFrames;
}

export function createSnapshotCache(
  peers: () => readonly PeerState[],
  maxBytes = MAX_SNAPSHOT_CHUNK_BYTES,
  peerBytes: PeerEncoder = encodedPeer,
): SnapshotCache {
  let cached: ChunkBodies | undefined;
  return {
    invalidate() {
      cached = undefined;
    },
    frames(syncId) {
      cached ??= chunkBodies(peers(), maxBytes, peerBytes);
      return framesFor(cached, syncId);
    },
  };
}
