// Prometheus metrics (docs/OPERATIONS.md#metrics), one registry per server instance so several
// servers can share a process (tests, the memory-bus cluster). The hot path only
// bumps plain numbers in `stats`; prom-client reads them at scrape time through
// `collect`, so a delivered update costs an addition, not a label lookup. No room
// or user ids are ever labels.
import { ERRORS, type ErrorCode, RTT_BUCKETS_MS } from "@collabblocks/protocol";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** Counters bumped on the hot path. */
export interface ServerStats {
  /** Patches accepted from clients. */
  updatesIn: number;
  /** Entries delivered to sockets (an entry in a frame written to n sockets counts n). */
  updatesOut: number;
  framesOut: number;
  bytesOut: number;
  rateLimited: number;
  snapshotChunks: number;
  /** Times a socket was skipped by fan-out for back-pressure (bufferedAmount > 32 KB). */
  slowSocketSkips: number;
  /** Slow sockets whose backlog was dropped for a fresh snapshot (1 s of backlog). */
  backlogResets: number;
  /** Replies (PONG, non-fatal ERROR, OCCUPANCY) not written because the socket was behind. */
  repliesDropped: number;
  /** Sockets closed with SLOW_CONSUMER (over the per-socket buffer limit). */
  slowConsumers: number;
  /** Shadow traffic (`--shadow-to`): production diffs reproduced on staging. */
  shadowMirrored: number;
  /** Shadow traffic: production diffs not reproduced (folded, over the connection cap, staging unreachable). */
  shadowDropped: number;
  /** Shadow traffic: mirror sockets welcomed by staging right now (a gauge). */
  shadowConnections: number;
}

export interface MetricsSources {
  readonly connections: () => number;
  readonly rooms: () => number;
  /** Updates waiting in this process's outbound queues. */
  readonly backlog: () => number;
  readonly evictions: () => number;
  /** Largest consumer-group lag among this pod's groups (0 until there is a Redis bus). */
  readonly redisLag?: () => number;
  /** Token verifications served from the last good JWKS while its host failed (edges with --jwks-url). */
  readonly jwksStale?: () => number;
}

export interface Metrics {
  readonly registry: Registry;
  readonly stats: ServerStats;
  /** Counts an ERROR sent to a client (or a refusal at the upgrade), by code. */
  refusal(code: ErrorCode): void;
  /**
   * Adds an SDK's RTT report: counts per bucket of RTT_BUCKETS_MS plus +Inf.
   * Returns false (and adds nothing) for a report of the wrong shape or an
   * implausible total, so one client cannot skew the histogram or spin the loop.
   */
  observeRtt(counts: readonly number[]): boolean;
}

/** Most round trips one report may carry (60 Hz × 60 s is 3 600). */
export const MAX_RTT_REPORT_TOTAL = 10_000;

/** A value inside each bucket, used to place reported counts (midpoints; 1.5× the last bound for +Inf). */
const BUCKET_VALUES: readonly number[] = [
  ...RTT_BUCKETS_MS.map((upper, i) => (i === 0 ? upper / 2 : (upper + (RTT_BUCKETS_MS[i - 1] ?? 0)) / 2)),
  (RTT_BUCKETS_MS[RTT_BUCKETS_MS.length - 1] ?? 500) * 1.5,
];

function counterFrom(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

function gaugeFrom(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

export function createMetrics(sources: MetricsSources, options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const stats: ServerStats = {
    updatesIn: 0,
    updatesOut: 0,
    framesOut: 0,
    bytesOut: 0,
    rateLimited: 0,
    snapshotChunks: 0,
    slowSocketSkips: 0,
    backlogResets: 0,
    repliesDropped: 0,
    slowConsumers: 0,
    shadowMirrored: 0,
    shadowDropped: 0,
    shadowConnections: 0,
  };
  const rtt = new Histogram({
    name: "presence_rtt_ms",
    help: "SDK-measured send → echo round trips, ms (from RTT_REPORT bucket counts)",
    buckets: [...RTT_BUCKETS_MS],
    registers: [registry],
  });
  const refusals = new Counter({
    name: "presence_refusals_total",
    help: "Errors sent to clients and connections refused, by error code",
    labelNames: ["code"],
    registers: [registry],
  });
  for (const code of Object.keys(ERRORS)) refusals.inc({ code }, 0);

  gaugeFrom(
    registry,
    "presence_stream_backlog",
    "Updates waiting in this process's outbound queues",
    sources.backlog,
  );
  gaugeFrom(registry, "presence_redis_lag", "Largest XINFO GROUPS lag among this pod's groups", () =>
    sources.redisLag ? sources.redisLag() : 0,
  );
  gaugeFrom(registry, "presence_connections", "Live WebSocket connections", sources.connections);
  gaugeFrom(registry, "presence_rooms", "Rooms in memory", sources.rooms);
  counterFrom(registry, "presence_lru_evictions_total", "Rooms evicted by the LRU", sources.evictions);
  counterFrom(
    registry,
    "presence_jwks_stale_total",
    "Tokens verified with the last good JWKS while the JWKS host failed",
    () => sources.jwksStale?.() ?? 0,
  );
  counterFrom(registry, "presence_updates_in_total", "Patches accepted from clients", () => stats.updatesIn);
  counterFrom(registry, "presence_updates_out_total", "Entries delivered to sockets", () => stats.updatesOut);
  counterFrom(registry, "presence_frames_out_total", "Frames written to sockets", () => stats.framesOut);
  counterFrom(
    registry,
    "presence_bytes_out_total",
    "Bytes of frames written to sockets",
    () => stats.bytesOut,
  );
  counterFrom(
    registry,
    "presence_rate_limited_total",
    "Patches refused by the rate limit",
    () => stats.rateLimited,
  );
  counterFrom(registry, "presence_snapshot_chunks_total", "Snapshot chunks sent", () => stats.snapshotChunks);
  counterFrom(
    registry,
    "presence_slow_socket_skips_total",
    "Times a slow socket (bufferedAmount > 32 KB) was skipped by fan-out",
    () => stats.slowSocketSkips,
  );
  counterFrom(
    registry,
    "presence_backlog_resets_total",
    "Slow sockets whose 1 s backlog was replaced by a fresh snapshot",
    () => stats.backlogResets,
  );
  counterFrom(
    registry,
    "presence_replies_dropped_total",
    "Replies (PONG, non-fatal ERROR, OCCUPANCY) not written because the socket had more than 32 KB unsent",
    () => stats.repliesDropped,
  );
  counterFrom(
    registry,
    "presence_slow_consumer_closes_total",
    "Sockets closed with SLOW_CONSUMER: more than 4 MB unsent",
    () => stats.slowConsumers,
  );
  counterFrom(
    registry,
    "presence_shadow_mirrored_total",
    "Shadow traffic: accepted presence diffs reproduced on the staging deployment (--shadow-to)",
    () => stats.shadowMirrored,
  );
  counterFrom(
    registry,
    "presence_shadow_dropped_total",
    "Shadow traffic: accepted presence diffs not reproduced on staging (folded, over the cap, staging unreachable)",
    () => stats.shadowDropped,
  );
  gaugeFrom(
    registry,
    "presence_shadow_connections",
    "Shadow traffic: mirror sockets open to the staging deployment",
    () => stats.shadowConnections,
  );

  return {
    registry,
    stats,
    refusal(code) {
      refusals.inc({ code });
    },
    observeRtt(counts) {
      if (counts.length !== BUCKET_VALUES.length) return false;
      let total = 0;
      for (const c of counts) total += c;
      if (!Number.isSafeInteger(total) || total > MAX_RTT_REPORT_TOTAL) return false;
      for (let i = 0; i < counts.length; i++) {
        const value = BUCKET_VALUES[i]!;
        for (let n = counts[i]!; n > 0; n--) rtt.observe(value);
      }
      return true;
    },
  };
}
