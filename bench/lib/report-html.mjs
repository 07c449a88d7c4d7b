// The self-contained HTML report: tables plus inline-SVG latency plots (CDF on
// a log latency axis, and log-binned histograms), no scripts or external assets,
// so the file can be mailed or attached to an issue as is.
import { flameSvg, topTable } from "./flame-svg.mjs";
import { machineLine, notesOf, ratioRows, SUMMARY_COLUMNS, sweepTable } from "./format.mjs";
import { edgeCoresLine, SLICE_COLUMNS, sliceRuns } from "./format-slice.mjs";

const COLORS = {
  ours: "#d6336c",
  "ws-naive": "#1c7ed6",
  "ws-tick": "#37b24d",
  socketio: "#f59f00",
  yws: "#7048e8",
};
const W = 640;
const H = 300;
const PAD = { l: 52, r: 16, t: 14, b: 40 };

const esc = (s) =>
  String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

function logScale(minMs, maxMs) {
  const lo = Math.floor(Math.log10(Math.max(minMs, 0.001)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(maxMs, 0.001))));
  const x = (v) => PAD.l + ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * (W - PAD.l - PAD.r);
  const ticks = [];
  for (let e = lo; e <= hi; e++) ticks.push(10 ** e);
  return { x, ticks };
}

function axes(ticks, x, yTicks, y, yLabel) {
  const parts = [];
  for (const t of ticks) {
    parts.push(
      `<line x1="${x(t)}" x2="${x(t)}" y1="${PAD.t}" y2="${H - PAD.b}" stroke="#ddd"/>`,
      `<text x="${x(t)}" y="${H - PAD.b + 16}" text-anchor="middle">${t >= 1 ? t : t.toPrecision(1)}</text>`,
    );
  }
  for (const [v, label] of yTicks) {
    parts.push(
      `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`,
      `<text x="${PAD.l - 6}" y="${y(v) + 4}" text-anchor="end">${label}</text>`,
    );
  }
  parts.push(
    `<text x="${(W + PAD.l) / 2}" y="${H - 6}" text-anchor="middle">latency, ms (log)</text>`,
    `<text x="12" y="${(H - PAD.b + PAD.t) / 2}" transform="rotate(-90 12 ${(H - PAD.b + PAD.t) / 2})" text-anchor="middle">${yLabel}</text>`,
  );
  return parts.join("");
}

function svg(body, legend) {
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11">${body}</svg>${legend}`;
}

function legendOf(results) {
  return `<div class="legend">${results
    .map((r) => `<span><i style="background:${COLORS[r.target] ?? "#555"}"></i>${esc(r.target)}</span>`)
    .join("")}</div>`;
}

/** Percentile → "nines" (0 → 0, 90 → 1, 99 → 2, 99.9 → 3, 99.99 → 4): the HDR view of the tail. */
const NINES_MAX = 4;
const nines = (p) => Math.min(NINES_MAX, -Math.log10(Math.max(1e-4, 1 - p / 100)));

/**
 * Latency CDF on a log latency axis. `tail`: the y axis in nines instead of
 * linear percent, so p99 and p99.9 get as much room as the median.
 */
function cdfChart(results, tail = false) {
  const withData = results.filter((r) => r.cdf.length > 0);
  if (withData.length === 0) return "<p>No latency samples.</p>";
  const all = withData.flatMap((r) => r.cdf.map(([v]) => v));
  const { x, ticks } = logScale(Math.min(...all), Math.max(...all));
  const span = H - PAD.b - PAD.t;
  const y = tail ? (p) => H - PAD.b - (nines(p) / NINES_MAX) * span : (p) => H - PAD.b - (p / 100) * span;
  const lines = withData.map((r) => {
    const pts = r.cdf.map(([v, p]) => `${x(v).toFixed(1)},${y(p).toFixed(1)}`).join(" ");
    return `<polyline fill="none" stroke="${COLORS[r.target] ?? "#555"}" stroke-width="2" points="${pts}"/>`;
  });
  const yTicks = (tail ? [0, 90, 99, 99.9, 99.99] : [0, 25, 50, 75, 95, 100]).map((p) => [p, `${p}%`]);
  return svg(
    axes(ticks, x, yTicks, y, tail ? "percentile (nines)" : "cumulative %") + lines.join(""),
    legendOf(withData),
  );
}

function histogramChart(r) {
  if (r.bins.length === 0) return "";
  const total = r.bins.reduce((s, b) => s + b[2], 0);
  const { x, ticks } = logScale(r.bins[0][0], r.bins[r.bins.length - 1][1]);
  const top = Math.max(...r.bins.map((b) => b[2] / total)) * 100;
  const y = (p) => H - PAD.b - (p / top) * (H - PAD.b - PAD.t);
  const bars = r.bins.map(([lo, hi, n]) => {
    const p = (n / total) * 100;
    return `<rect x="${x(lo).toFixed(1)}" y="${y(p).toFixed(1)}" width="${Math.max(0.5, x(hi) - x(lo) - 1).toFixed(1)}" height="${(H - PAD.b - y(p)).toFixed(1)}" fill="${COLORS[r.target] ?? "#555"}"/>`;
  });
  const yTicks = [0, top / 2, top].map((p) => [p, `${p.toFixed(1)}%`]);
  return `<figure><figcaption>${esc(r.target)} — ${r.latency.count} samples</figcaption>${svg(axes(ticks, x, yTicks, y, "% of samples") + bars.join(""), "")}</figure>`;
}

function htmlTable(header, rows) {
  return `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((row) => `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

function runSection(run) {
  const ok = run.results.filter((r) => r.status === "ok");
  const parts = [
    `<h2>${esc(run.label)}</h2><p>${run.run.conns} connections, ${run.run.senders} senders @ ${run.run.hz} Hz, ${run.run.rooms} room(s), ${run.run.processes} server process(es)</p>`,
    htmlTable(
      SUMMARY_COLUMNS.map(([h]) => h),
      ok.map((r) => SUMMARY_COLUMNS.map(([, f]) => f(r))),
    ),
  ];
  const notes = [
    ...run.results.filter((r) => r.status !== "ok").map((r) => `${r.target}: ${r.status} — ${r.reason}`),
    ...ok.flatMap((r) => notesOf(r).map((n) => `${r.target}: ${n}`)),
  ];
  if (notes.length) parts.push(`<ul>${notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>`);
  const ratios = ratioRows(run.results);
  if (ratios.length) {
    const f = (v) => (v === null ? "–" : v.toFixed(2));
    parts.push(
      "<h3>ours ÷ peer (below 1: ours is better)</h3>",
      htmlTable(
        ["peer", "p95", "CPU per delivered update"],
        ratios.map((r) => [r.peer, r.p95 ?? "–", f(r.cpu)]),
      ),
    );
  }
  parts.push(
    "<h3>Sender → receiver latency, CDF</h3>",
    `<div class="grid"><figure>${cdfChart(ok)}</figure><figure>${cdfChart(ok, true)}</figure></div>`,
  );
  parts.push("<h3>Latency histograms</h3>", `<div class="grid">${ok.map(histogramChart).join("")}</div>`);
  parts.push(...[...ok, ...(run.floor?.status === "ok" ? [run.floor] : [])].flatMap(profileParts));
  return `<section>${parts.join("\n")}</section>`;
}

/** The measured window's CPU profile of each server process of a target (--cpu-prof). */
function profileParts(r) {
  return (r.profiles ?? []).map(
    (p) =>
      `<h3>CPU profile of the window: ${esc(r.target)} — ${esc(p.label)}</h3><p><code>${esc(p.file)}</code></p>${flameSvg(p.flame, `${r.target} ${p.label}`)}${topTable(p.flame)}`,
  );
}

function sliceSection(result) {
  const rows = sliceRuns(result);
  if (rows.length === 0) return "";
  return `<section><h2>Slices: the measured edge and the bare-ws write loop</h2>${htmlTable(
    SLICE_COLUMNS.map(([h]) => h),
    rows.map((x) => SLICE_COLUMNS.map(([, f]) => f(x))),
  )}<p><strong>${esc(edgeCoresLine(result))}</strong></p></section>`;
}

export function htmlReport(result) {
  const sweep = result.sweep
    ? `<section><h2>Sweep</h2><pre>${esc(sweepTable(result.sweep))}</pre></section>`
    : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CollabBlocks bench ${esc(result.scenario)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1400px}
table{border-collapse:collapse;font-size:13px;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}
td:first-child,th:first-child{text-align:left}th{background:#f4f4f4}
.legend span{margin-right:1em;font-size:13px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}
.grid{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0}figcaption{font-size:13px}
</style></head><body>
<h1>${esc(result.scenario)}: ${esc(result.description)}</h1>
<p>${esc(machineLine(result))}</p>
<p>Command: <code>${esc(result.command)}</code></p>
${sliceSection(result)}
${result.runs.map(runSection).join("\n")}
${sweep}
</body></html>
`;
}
