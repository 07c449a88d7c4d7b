// Prometheus metrics (docs/OPERATIONS.md#metrics), one registry per server instance so several
// servers can share a process (tests, the memory-bus cluster). The hot path only
// bumps plain numbers in `stats`; prom-client reads them at scrape time through
// `collect`, so a delivered update costs an addition, not a label lookup. No room
// or user ids are ever labels.
import { ERRORS, type ErrorCode } from "@collabblocks/protocol";
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { createRttHistogram } from "./rtt-histogram.js";
import { createServerStats, type ServerStats, STAT_METRICS } from "./server-stats.js";

export { MAX_RTT_REPORT_TOTAL } from "./rtt-histogram.js";
export type { ServerStats } from "./server-stats.js";

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
  const stats = createServerStats();
  const observeRtt = createRttHistogram(registry);
  const refusals = new Counter({
    name: "presence_refusals_total",
    help: "Errors sent to clients and connections refused, by error code",
    labelNames: ["code"],
    registers: [registry],
  });
  for (const code of Object.keys(ERRORS)) refusals.inc({ code }, 0);
  registerSources(registry, sources);
  for (const m of STAT_METRICS) {
    const read = () => stats[m.stat];
    if (m.type === "counter") counterFrom(registry, m.name, m.help, read);
    else gaugeFrom(registry, m.name, m.help, read);
  }
  return {
    registry,
    stats,
    refusal(code) {
      refusals.inc({ code });
    },
    observeRtt,
  };
}

/** What the process counts outside the hot path, read from its owners at scrape time. */
function registerSources(registry: Registry, sources: MetricsSources): void {
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
}
