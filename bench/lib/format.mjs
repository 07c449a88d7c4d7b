// Tables of a bench result, as Markdown (stdout, the .md file, docs/BENCHMARKS.md).
import { sliceTable } from "./format-slice.mjs";

const fix = (v, d = 1) => (v === null || v === undefined || Number.isNaN(v) ? "–" : v.toFixed(d));
const ms = (v) => (v === null || v === undefined ? "–" : v < 10 ? v.toFixed(2) : v.toFixed(0));
const kilo = (v) =>
  v === null || v === undefined ? "–" : v >= 1e4 ? `${(v / 1000).toFixed(0)} k` : v.toFixed(0);
const pct = (v) => {
  if (v === null || v === undefined) return "–";
  const digits = (v > 0.995 && v < 1) || (v > 0 && v < 0.1) ? 1 : 0;
  return `${(v * 100).toFixed(digits)} %`;
};
/** A latency percentile, or "> N" when it falls among updates not delivered by the end of the drain. */
const latencyCell = (lat, key) => {
  if (!lat) return "–";
  if (lat[key] === null) return lat.above?.[key] === undefined ? "–" : `> ${lat.above[key].toFixed(0)}`;
  return ms(lat[key]);
};
const rssPerConn = (bytes) => (bytes === null ? "–" : bytes < 0 ? "~0" : (bytes / 1024).toFixed(1));
const cursorBytes = (r) =>
  r.wire.bytesPerDeliveredEntry == null ? null : r.wire.bytesPerDeliveredEntry - r.wire.timestampBytes;

/** Other work on the server's core above this (cores) is flagged: the run was disturbed. */
const FOREIGN_CORES_WARNING = 0.1;
/** A core busier than this share is reported as saturated. */
const SATURATED = 0.9;

export const SUMMARY_COLUMNS = [
  ["target", (r) => r.target + (r.mode && r.mode !== "dev" ? ` (${r.mode})` : "")],
  ["conns", (r) => String(r.connected)],
  ["updates in/s", (r) => kilo(r.offeredPerS)],
  ["delivered/s", (r) => kilo(r.deliveredPerS)],
  ["delivered", (r) => pct(r.deliveredRatio)],
  ["lost", (r) => pct(r.probe.lossRatio)],
  ["p50 ms", (r) => latencyCell(r.latency, "p50Ms")],
  ["p95 ms", (r) => latencyCell(r.latency, "p95Ms")],
  ["p99 ms", (r) => latencyCell(r.latency, "p99Ms")],
  ["max ms", (r) => latencyCell(r.latency, "maxMs")],
  ["frames/s", (r) => kilo(r.framesPerS)],
  ["server cores", (r) => fix(r.server.cores, 2)],
  // Kernel network receive work (softirq) on the server's core, for its sockets and the generator's.
  ["softirq cores", (r) => fix(r.server.softirqCores, 2)],
  // Busy time of the server's core not spent in the measured processes: interference.
  ["other procs on server core", (r) => fix(r.server.foreignCores, 2)],
  ["µs CPU/update", (r) => fix(r.server.cpuUsPerDeliveredUpdate, 2)],
  ["µs CPU/frame", (r) => fix(r.server.cpuUsPerFrame, 2)],
  // (RSS after joining − RSS idle) ÷ connections; GC can make it negative in small runs: "~0".
  ["RSS KB/conn", (r) => rssPerConn(r.server.rssPerConnBytes)],
  // Received WebSocket bytes (frame headers included) per delivered update entry (a
  // coalesced entry of ours is one), minus the bench's own timestamp: what a
  // cursor-only update costs on the wire.
  ["B/update", (r) => fix(cursorBytes(r), 1)],
  ["gen cores", (r) => fix(r.generator.cores, 2)],
];

function table(header, rows) {
  const line = (cells) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

export function summaryTable(results) {
  const ok = results.filter((r) => r.status === "ok");
  const lines = [
    table(
      SUMMARY_COLUMNS.map(([h]) => h),
      ok.map((r) => SUMMARY_COLUMNS.map(([, f]) => f(r))),
    ),
  ];
  for (const r of results.filter((x) => x.status !== "ok"))
    lines.push(`- ${r.target}: ${r.status} — ${r.reason}`);
  for (const r of ok) {
    const notes = notesOf(r);
    if (notes.length > 0) lines.push(`- ${r.target}: ${notes.join("; ")}`);
  }
  return lines.join("\n");
}

/** Things a reader must know to trust (or not) a row. */
export function notesOf(r) {
  const notes = [];
  if (r.connectFailures > 0) notes.push(`${r.connectFailures} connections failed`);
  if (r.unexpectedCloses > 0) notes.push(`${r.unexpectedCloses} sockets closed by the server`);
  if (Object.keys(r.errors).length > 0) notes.push(`errors ${JSON.stringify(r.errors)}`);
  // The server core is full when the server, the kernel's network work on it and any
  // other process together use ~all of it (softirq time is not charged to the server).
  const coreBusy = (r.server.cores ?? 0) + (r.server.softirqCores ?? 0) + (r.server.foreignCores ?? 0);
  const coresAvailable = Math.min(r.server.processes, r.server.coresAvailable);
  if (r.server.cores !== null && coreBusy > SATURATED * coresAvailable)
    notes.push(`server core saturated (${fix(coreBusy, 2)} busy: server + softirq + other)`);
  if (r.generator.cores > 0.85)
    notes.push(`generator near saturation (${fix(r.generator.cores, 2)} cores): figures are a lower bound`);
  if (r.slice && r.slice.generatorCoresBusy > SATURATED)
    notes.push(
      `the generator's CPUs were saturated (${fix(r.slice.generatorCoresBusy, 2)} busy: load processes, pod, Redis, synthetic edge): latency is an upper bound`,
    );
  if (r.server.redisCpuUs !== null)
    notes.push(`Redis CPU ${fix(r.server.redisCpuUs / 1000 / r.windowS, 0)} ms/s (not in server cores)`);
  if (r.server.foreignCores !== null && r.server.foreignCores > FOREIGN_CORES_WARNING)
    notes.push(
      `other processes used ${fix(r.server.foreignCores, 2)} cores of the server's core: figures noisy`,
    );
  if (r.repeats)
    notes.push(
      `fastest of ${r.repeats.length} runs (p95 of all: ${r.repeats.map((x) => (x.p95Ms === null ? "> drain" : ms(x.p95Ms))).join(", ")} ms)`,
    );
  if (r.ackRtt) notes.push(`own-update echo p95 ${ms(r.ackRtt.p95Ms)} ms`);
  return notes;
}

/** ours ÷ peer for p95 and server CPU per delivered update (< 1: ours is better). */
export function ratioRows(results) {
  const ours = results.find((r) => r.target === "ours" && r.status === "ok");
  if (!ours) return [];
  return results
    .filter((r) => r.target !== "ours" && r.status === "ok")
    .map((peer) => ({
      peer: peer.target,
      p95: p95Ratio(ours.latency, peer.latency),
      cpu:
        ours.server.cpuUsPerDeliveredUpdate !== null && peer.server.cpuUsPerDeliveredUpdate
          ? ours.server.cpuUsPerDeliveredUpdate / peer.server.cpuUsPerDeliveredUpdate
          : null,
      delivered: [ours.deliveredRatio, peer.deliveredRatio],
    }));
}

/**
 * ours ÷ peer p95 as text. A censored p95 (beyond the drain) is only a lower
 * bound, so the ratio becomes a bound: "< 0.01" when the peer's is censored.
 */
function p95Ratio(a, b) {
  if (!a || !b) return null;
  const bound = (l) => (l.p95Ms === null ? l.above.p95Ms : l.p95Ms);
  const r = bound(a) / bound(b);
  const text = r < 0.1 ? r.toPrecision(2) : r.toFixed(2);
  if (a.p95Ms !== null && b.p95Ms !== null) return text;
  if (a.p95Ms !== null) return `< ${text}`;
  if (b.p95Ms !== null) return `> ${text}`;
  return "–";
}

export function ratioTable(results) {
  const rows = ratioRows(results);
  if (rows.length === 0) return "";
  return table(
    ["ours ÷", "p95", "CPU per delivered update", "delivered (ours / peer)"],
    rows.map((r) => [r.peer, r.p95 ?? "–", fix(r.cpu, 2), `${pct(r.delivered[0])} / ${pct(r.delivered[1])}`]),
  );
}

export function sweepTable(sweep) {
  return table(
    ["target", "highest sustained updates in/s (p95 ≤ 40 ms, ≤ 1 % lost)", "steps (Hz: p95 ms, lost)"],
    Object.entries(sweep).map(([target, s]) => [
      target,
      s.best === null ? "none" : `${kilo(s.best.offeredPerS)} (${s.best.hz} Hz)`,
      s.steps
        .map(
          (x) =>
            `${x.hz}: ${x.status === "ok" ? `${x.p95Ms === null ? "> drain" : ms(x.p95Ms)}, ${pct(x.lossRatio)}` : x.status}`,
        )
        .join("; "),
    ]),
  );
}

export function markdownReport(result) {
  const out = [`# ${result.scenario}: ${result.description}`, "", machineLine(result), ""];
  for (const run of result.runs) {
    out.push(
      `## ${run.label} (${run.run.conns} conns, ${run.run.senders} senders @ ${run.run.hz} Hz, ${run.run.rooms} rooms, ${run.run.processes} process(es))`,
      "",
    );
    out.push(summaryTable(run.results), "");
    const ratios = ratioTable(run.results);
    if (ratios) out.push(ratios, "");
  }
  if (result.sweep) out.push("## Sweep", "", sweepTable(result.sweep), "");
  const slices = sliceTable(result);
  if (slices) out.push("## Slices: the measured edge and the bare-ws write loop", "", slices, "");
  return out.join("\n");
}

export function machineLine(result) {
  const m = result.machine;
  return `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memGB} GB, Node ${m.node}, ${m.os}. Pinning: ${
    result.pinning.enabled
      ? `servers on CPU ${result.pinning.serverCpus}, generator on ${result.pinning.generatorCpus}`
      : "none"
  }. Window ${result.options.durationS} s after ${result.options.warmupS} s warm-up. ${result.startedAt}`;
}
