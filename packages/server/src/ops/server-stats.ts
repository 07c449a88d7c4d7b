// The counters the hot path bumps (ops/metrics.ts): plain numbers, read by
// prom-client at scrape time, and the metric each one is exported as
// (docs/OPERATIONS.md#metrics). Adding a stat means adding it here twice: to
// ServerStats and to STAT_METRICS, which the metrics test checks cover each other.

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

export function createServerStats(): ServerStats {
  return {
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
}

export interface StatMetric {
  readonly name: string;
  readonly help: string;
  readonly stat: keyof ServerStats;
  /** A counter only grows; a gauge is read as it is. */
  readonly type: "counter" | "gauge";
}

/** Each stat's metric, in /metrics order. */
export const STAT_METRICS: readonly StatMetric[] = [
  {
    name: "presence_updates_in_total",
    help: "Patches accepted from clients",
    stat: "updatesIn",
    type: "counter",
  },
  {
    name: "presence_updates_out_total",
    help: "Entries delivered to sockets",
    stat: "updatesOut",
    type: "counter",
  },
  {
    name: "presence_frames_out_total",
    help: "Frames written to sockets",
    stat: "framesOut",
    type: "counter",
  },
  {
    name: "presence_bytes_out_total",
    help: "Bytes of frames written to sockets",
    stat: "bytesOut",
    type: "counter",
  },
  {
    name: "presence_rate_limited_total",
    help: "Patches refused by the rate limit",
    stat: "rateLimited",
    type: "counter",
  },
  {
    name: "presence_snapshot_chunks_total",
    help: "Snapshot chunks sent",
    stat: "snapshotChunks",
    type: "counter",
  },
  {
    name: "presence_slow_socket_skips_total",
    help: "Times a slow socket (bufferedAmount > 32 KB) was skipped by fan-out",
    stat: "slowSocketSkips",
    type: "counter",
  },
  {
    name: "presence_backlog_resets_total",
    help: "Slow sockets whose 1 s backlog was replaced by a fresh snapshot",
    stat: "backlogResets",
    type: "counter",
  },
  {
    name: "presence_replies_dropped_total",
    help: "Replies (PONG, non-fatal ERROR, OCCUPANCY) not written because the socket had more than 32 KB unsent",
    stat: "repliesDropped",
    type: "counter",
  },
  {
    name: "presence_slow_consumer_closes_total",
    help: "Sockets closed with SLOW_CONSUMER: more than 4 MB unsent",
    stat: "slowConsumers",
    type: "counter",
  },
  {
    name: "presence_shadow_mirrored_total",
    help: "Shadow traffic: accepted presence diffs reproduced on the staging deployment (--shadow-to)",
    stat: "shadowMirrored",
    type: "counter",
  },
  {
    name: "presence_shadow_dropped_total",
    help: "Shadow traffic: accepted presence diffs not reproduced on staging (folded, over the cap, staging unreachable)",
    stat: "shadowDropped",
    type: "counter",
  },
  {
    name: "presence_shadow_connections",
    help: "Shadow traffic: mirror sockets open to the staging deployment",
    stat: "shadowConnections",
    type: "gauge",
  },
];
