// The S3 slice scenario's own table and figure (docs/BENCHMARKS.md#s3-slice): one row
// per slice size, the measured edge next to the bare-`ws` write loop of the same
// frames, and "edge cores for a room" from the largest slice that met the bound.
import { edgeCoresFor, SLICE_P95_MS, sliceMeets } from "./slice.mjs";

const fix = (v, d = 2) => (v === null || v === undefined || Number.isNaN(v) ? "–" : v.toFixed(d));
const kilo = (v) => (v == null ? "–" : v >= 1e4 ? `${(v / 1000).toFixed(0)} k` : v.toFixed(0));
const pct = (v) => (v == null ? "–" : `${(v * 100).toFixed(v > 0.995 && v < 1 ? 1 : 0)} %`);
const msCell = (lat, key) => {
  if (!lat) return "–";
  if (lat[key] === null) return lat.above?.[key] === undefined ? "–" : `> ${lat.above[key].toFixed(0)}`;
  return lat[key] < 10 ? lat[key].toFixed(2) : lat[key].toFixed(0);
};

/** The slice runs of a result: [{label, r (ours), floor (ws-floor result or null)}]. */
export function sliceRuns(result) {
  return result.runs
    .map((run) => ({ label: run.label, r: run.results.find((x) => x.slice), floor: run.floor ?? null }))
    .filter((x) => x.r !== undefined);
}

export const SLICE_COLUMNS = [
  ["slice", ({ r }) => `${r.slice.slice} of ${r.slice.roomSize}`],
  ["senders here + remote", ({ r }) => `${r.slice.localSenders} + ${r.slice.remoteSenders}`],
  ["updates in/s", ({ r }) => kilo(r.offeredPerS)],
  ["delivered", ({ r }) => pct(r.deliveredRatio)],
  ["lost", ({ r }) => pct(r.probe.lossRatio)],
  ["p50 ms", ({ r }) => msCell(r.latency, "p50Ms")],
  ["p95 ms", ({ r }) => msCell(r.latency, "p95Ms")],
  ["p99 ms", ({ r }) => msCell(r.latency, "p99Ms")],
  // Only the updates of the synthetic edge's senders: client → pod → this edge → client.
  ["p95 via pod ms", ({ r }) => msCell(r.latencyViaPod, "p95Ms")],
  ["frames/s", ({ r }) => kilo(r.framesPerS)],
  ["B/frame", ({ r }) => fix(r.wire.bytesPerFrame, 0)],
  ["edge cores", ({ r }) => fix(r.server.cores)],
  ["softirq cores", ({ r }) => fix(r.server.softirqCores)],
  ["other on edge core", ({ r }) => fix(r.server.foreignCores)],
  ["µs CPU/frame", ({ r }) => fix(r.server.cpuUsPerFrame)],
  ["ws floor µs/frame", ({ floor }) => (floor?.status === "ok" ? fix(floor.server.cpuUsPerFrame) : "–")],
  ["edge ÷ floor", ({ r, floor }) => fix(floorRatio(r, floor))],
  ["pod cores", ({ r }) => fix(r.slice.podCores)],
  ["synthetic edge cores", ({ r }) => fix(r.slice.syntheticCores)],
  ["gen cores", ({ r }) => fix(r.generator.cores)],
  ["generator CPUs busy", ({ r }) => fix(r.slice.generatorCoresBusy)],
  [`meets p95 ≤ ${SLICE_P95_MS} ms, 100 %`, ({ r }) => (sliceMeets(r) ? "yes" : "no")],
];

/** Edge CPU per frame ÷ the bare write loop's, for the same frames. */
export function floorRatio(r, floor) {
  if (floor?.status !== "ok" || !r.server.cpuUsPerFrame || !floor.server.cpuUsPerFrame) return null;
  return r.server.cpuUsPerFrame / floor.server.cpuUsPerFrame;
}

export function sliceTable(result) {
  const rows = sliceRuns(result);
  if (rows.length === 0) return "";
  const line = (cells) => `| ${cells.join(" | ")} |`;
  const header = SLICE_COLUMNS.map(([h]) => h);
  return [
    line(header),
    line(header.map(() => "---")),
    ...rows.map((x) => line(SLICE_COLUMNS.map(([, f]) => f(x)))),
    "",
    edgeCoresLine(result),
  ].join("\n");
}

/** "edge cores for 10 000 connections per room at p95 ≤ 40 ms = 10 000 / 2 500 = 4.0", or why not. */
export function edgeCoresLine(result) {
  const rows = sliceRuns(result);
  if (rows.length === 0) return "";
  const e = edgeCoresFor(rows.map((x) => x.r));
  const roomSize = rows[0].r.slice.roomSize;
  if (e === null)
    return `edge cores for ${roomSize} connections per room at p95 ≤ 40 ms: not measured — no slice met p95 ≤ ${SLICE_P95_MS} ms with 100 % delivered (try a smaller --slice)`;
  return `edge cores for ${e.roomSize} connections per room at p95 ≤ 40 ms = ${e.roomSize} / ${e.slice} (largest slice with p95 ≤ ${SLICE_P95_MS} ms, 100 % delivered) = ${e.cores.toFixed(1)}`;
}
