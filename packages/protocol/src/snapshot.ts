// Splitting a snapshot into chunks of at most MAX_SNAPSHOT_CHUNK_BYTES encoded.
import { encodedPeerSize } from "./codec.js";
import { MAX_SNAPSHOT_CHUNK_BYTES } from "./limits.js";
import type { PeerState } from "./messages.js";

/** Framing overhead of a SNAPSHOT_CHUNK around its entries (type, syncId, array header), bytes. */
const CHUNK_OVERHEAD_BYTES = 16;

/** Groups entries so that each chunk message encodes to ≤ maxBytes. Always returns ≥ 1 chunk. */
export function chunkSnapshot(
  entries: readonly PeerState[],
  maxBytes = MAX_SNAPSHOT_CHUNK_BYTES,
): PeerState[][] {
  const chunks: PeerState[][] = [];
  let current: PeerState[] = [];
  let size = CHUNK_OVERHEAD_BYTES;
  for (const entry of entries) {
    const n = encodedPeerSize(entry);
    if (current.length > 0 && size + n > maxBytes) {
      chunks.push(current);
      current = [];
      size = CHUNK_OVERHEAD_BYTES;
    }
    current.push(entry);
    size += n;
  }
  chunks.push(current);
  return chunks;
}
