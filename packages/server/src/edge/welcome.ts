// The WELCOME frame (PROTOCOL.md §4), built in one place for every edge: the
// Node edge (join.ts) and the Durable Object edge (packages/edge-worker) differ
// only in the heartbeat they advertise.
import {
  encode,
  MAX_INBOUND_FRAME_BYTES,
  MAX_META_BYTES,
  MAX_STATE_BYTES,
  MessageType,
  RATE_BURST,
  RATE_PER_SECOND,
  RTT_BUCKETS_MS,
} from "@collabblocks/protocol";

export interface Welcomed {
  readonly connectionId: string;
  readonly userId: string;
  readonly epoch: number;
}

/**
 * @param tokenExp seconds since the Unix epoch; @param now ms since the Unix epoch;
 * @param keepaliveMs offered only by an edge that answers text keepalives (PROTOCOL.md §4).
 */
export function welcomeFrame(
  conn: Welcomed,
  tokenExp: number,
  heartbeatMs: number,
  now: number,
  keepaliveMs?: number,
): Uint8Array {
  return encode({
    type: MessageType.WELCOME,
    connectionId: conn.connectionId,
    userId: conn.userId,
    epoch: conn.epoch,
    serverTime: now,
    tokenExp,
    limits: {
      ratePerSecond: RATE_PER_SECOND,
      burst: RATE_BURST,
      maxStateBytes: MAX_STATE_BYTES,
      maxMetaBytes: MAX_META_BYTES,
      maxFrameBytes: MAX_INBOUND_FRAME_BYTES,
      heartbeatMs,
      ...(keepaliveMs === undefined ? {} : { keepaliveMs }),
    },
    rttBuckets: RTT_BUCKETS_MS,
  });
}
