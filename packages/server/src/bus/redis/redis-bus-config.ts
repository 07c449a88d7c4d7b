// The Redis bus's tunables (docs/SCALING.md#pod-and-redis-the-rules): one table of
// defaults, each overridable for tests, resolved once per bus.
import type { RoomSyncConfig } from "./room-sync-context.js";

/** Defaults of docs/SCALING.md#pod-and-redis-the-rules, each overridable for tests. */
export const REDIS_BUS_DEFAULTS = {
  /** Last-seen older than this is expired by a sweeper, ms. */
  expiryMs: 3000,
  /** Housekeeping tick: join retries, failed reads, own-entry reads, ms. */
  tickMs: 1000,
  /** Slow sweep of every room (lost wake-ups, group GC, lag, idle-room expiry), ms. */
  slowSweepMs: 5000,
  /** A new group starts this far back, so entries newer than the state flush replay, ms. */
  joinLookbackMs: 3000,
  /** `XADD … MAXLEN ~ streamMaxLen`. */
  streamMaxLen: 1000,
  /** Room keys expire after this long without a write or touch, ms. */
  keyTtlMs: 10 * 60_000,
  /** A group whose consumers were all idle this long belongs to a gone pod, ms. */
  groupGcIdleMs: 60_000,
  /** Own-entry-only wake-ups are read lazily, at most this often per room, ms. */
  ownReadMs: 1000,
  /** Appends in flight per process beyond which a flush is dropped (and re-seeded later). */
  maxInflight: 1000,
  /** A flush up to this size (bytes of `d`) rides in its wake-up and is applied on arrival. */
  inlineWakeBytes: 8192,
  /** After entries were applied from wake-ups, the stream is read (and acknowledged) this much later, ms. */
  lazyReadMs: 250,
  /** whenConnected() looks at the connection this often, ms. */
  connectPollMs: 50,
} as const;

/** The rooms' config: each option given, else its default. */
export function roomSyncConfig(
  podId: string,
  options: Partial<Omit<RoomSyncConfig, "podId">>,
): RoomSyncConfig {
  const d = REDIS_BUS_DEFAULTS;
  return {
    podId,
    expiryMs: options.expiryMs ?? d.expiryMs,
    joinLookbackMs: options.joinLookbackMs ?? d.joinLookbackMs,
    streamMaxLen: options.streamMaxLen ?? d.streamMaxLen,
    keyTtlMs: options.keyTtlMs ?? d.keyTtlMs,
    groupGcIdleMs: options.groupGcIdleMs ?? d.groupGcIdleMs,
    maxInflight: options.maxInflight ?? d.maxInflight,
    inlineWakeBytes: options.inlineWakeBytes ?? d.inlineWakeBytes,
    lazyReadMs: options.lazyReadMs ?? d.lazyReadMs,
  };
}
