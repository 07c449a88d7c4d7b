import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The metric names deploy/ may reference: the contract list of docs/OPERATIONS.md#metrics (plus
 * snapshot chunks from issue 7, the edge's back-pressure counters and the shadow-traffic metrics). The dashboard, the alert rules and
 * docs/OPERATIONS.md are checked against it, and it against what the server
 * actually registers (`serverMetricNames`), so a rename anywhere fails a test
 * instead of leaving an empty panel or an alert that can never fire.
 */
export type MetricType = "counter" | "gauge" | "histogram";

export interface MetricSpec {
  readonly name: string;
  readonly type: MetricType;
  /** Labels the contract promises beyond Prometheus' own `job`/`instance`. */
  readonly labels: readonly string[];
}

export const PRESENCE_METRICS: readonly MetricSpec[] = [
  { name: "presence_rtt_ms", type: "histogram", labels: [] },
  { name: "presence_stream_backlog", type: "gauge", labels: [] },
  { name: "presence_redis_lag", type: "gauge", labels: [] },
  { name: "presence_lru_evictions_total", type: "counter", labels: [] },
  { name: "presence_jwks_stale_total", type: "counter", labels: [] },
  { name: "presence_connections", type: "gauge", labels: [] },
  { name: "presence_rooms", type: "gauge", labels: [] },
  { name: "presence_updates_in_total", type: "counter", labels: [] },
  { name: "presence_updates_out_total", type: "counter", labels: [] },
  { name: "presence_frames_out_total", type: "counter", labels: [] },
  { name: "presence_bytes_out_total", type: "counter", labels: [] },
  { name: "presence_rate_limited_total", type: "counter", labels: [] },
  { name: "presence_refusals_total", type: "counter", labels: ["code"] },
  { name: "presence_snapshot_chunks_total", type: "counter", labels: [] },
  // Beyond docs/OPERATIONS.md#metrics: back-pressure detail from the edge (docs/ARCHITECTURE.md#the-edge).
  { name: "presence_slow_socket_skips_total", type: "counter", labels: [] },
  { name: "presence_backlog_resets_total", type: "counter", labels: [] },
  // Beyond docs/OPERATIONS.md#metrics: bounded memory per socket (docs/SECURITY.md#memory).
  { name: "presence_replies_dropped_total", type: "counter", labels: [] },
  { name: "presence_slow_consumer_closes_total", type: "counter", labels: [] },
  // Beyond docs/OPERATIONS.md#metrics: shadow traffic of the rollout (issue 7, `--shadow-to`).
  { name: "presence_shadow_mirrored_total", type: "counter", labels: [] },
  { name: "presence_shadow_dropped_total", type: "counter", labels: [] },
  { name: "presence_shadow_connections", type: "gauge", labels: [] },
];

/** Suffixes a histogram exposes as separate series (prom-client and Prometheus). */
const HISTOGRAM_SERIES_SUFFIXES = ["_bucket", "_sum", "_count"] as const;

/**
 * Maps a series name as written in PromQL to the metric it belongs to, or
 * undefined when it names none of `metrics`: `presence_rtt_ms_bucket` →
 * `presence_rtt_ms`. Only histograms own suffixed series.
 */
export function metricForSeries(series: string, metrics: readonly MetricSpec[]): MetricSpec | undefined {
  const exact = metrics.find((m) => m.name === series);
  if (exact) return exact;
  for (const suffix of HISTOGRAM_SERIES_SUFFIXES) {
    if (!series.endsWith(suffix)) continue;
    const base = series.slice(0, -suffix.length);
    const histogram = metrics.find((m) => m.name === base && m.type === "histogram");
    if (histogram) return histogram;
  }
  return undefined;
}

/**
 * The `presence_*` names the server's ops code registers, read from the string
 * literals in packages/server/src/ops (tests excluded), or undefined while that
 * directory has none. Reading source instead of importing it keeps deploy/
 * independent of the ops module's API; a name built by concatenation would be
 * missed, which the cross-check test then reports as a missing metric.
 */
export function serverMetricNames(repoRoot: string): ReadonlySet<string> | undefined {
  const dir = join(repoRoot, "packages/server/src/ops");
  if (!existsSync(dir)) return undefined;
  const names = new Set<string>();
  for (const file of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    if (!/\.tsx?$/.test(file) || /\.test\.tsx?$/.test(file)) continue;
    const source = readFileSync(join(dir, file), "utf8");
    for (const match of source.matchAll(/["'`](presence_[a-z0-9_]+)["'`]/g)) names.add(match[1]!);
  }
  return names.size > 0 ? names : undefined;
}
