// Draws a flame-graph.mjs result as inline SVG (an icicle: the root on top, callees
// below, width = share of samples) plus its self-time table, for the HTML report.
// Tooltips are SVG <title> elements: no scripts, the report stays self-contained.

const W = 1200;
const ROW = 16;
/** Approximate width of one character of the 10 px labels, px. */
const CHAR_PX = 6;

const esc = (s) =>
  String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

/** Colour by where the code lives: ours, dependencies, Node's own, the VM's pseudo-frames. */
function colorOf(box) {
  if (box.name.startsWith("(")) return "#bbb"; // (root), (program), (idle), (garbage collector)
  if (box.where.startsWith("packages/")) return "#e8738f";
  if (box.where.startsWith("node_modules/")) return "#f2b24c";
  return "#f08c4a"; // node: internals and anything else
}

export function flameSvg(flame, caption) {
  const ms = (n) => ((n * flame.usPerSample) / 1000).toFixed(1);
  const pct = (n) => ((n / Math.max(1, flame.samples)) * 100).toFixed(1);
  const rects = flame.boxes.map((b) => {
    const x = b.x * W;
    const w = b.w * W;
    const y = b.depth * ROW;
    const label = w > 3 * CHAR_PX ? esc(b.name.slice(0, Math.floor((w - 4) / CHAR_PX))) : "";
    const tip = `${b.name} ${b.where} — ${ms(b.total)} ms (${pct(b.total)} %), self ${ms(b.self)} ms`;
    return (
      `<g><title>${esc(tip)}</title><rect x="${x.toFixed(1)}" y="${y}" width="${Math.max(0.5, w - 0.5).toFixed(1)}" height="${ROW - 1}" fill="${colorOf(b)}"/>` +
      (label ? `<text x="${(x + 2).toFixed(1)}" y="${y + ROW - 4}">${label}</text>` : "") +
      "</g>"
    );
  });
  const h = (flame.depth + 1) * ROW;
  return `<figure><figcaption>${esc(caption)} — ${flame.samples} busy samples, ${ms(flame.samples)} ms on the main thread (idle ${ms(flame.idleSamples)} ms left out; icicle: callers above callees; width = share of samples; hover for figures)</figcaption><svg viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" font-family="monospace" font-size="10">${rects.join("")}</svg></figure>`;
}

export function topTable(flame) {
  const rows = flame.top
    .map(
      (r) =>
        `<tr><td>${esc(r.name)}</td><td>${esc(r.where)}</td><td>${r.ms.toFixed(1)}</td><td>${(r.share * 100).toFixed(1)} %</td></tr>`,
    )
    .join("");
  return `<table><thead><tr><th>function (self time, top ${flame.top.length})</th><th>where</th><th>self ms</th><th>share of busy samples</th></tr></thead><tbody>${rows}</tbody></table>`;
}
