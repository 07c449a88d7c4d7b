// A .cpuprofile (V8's format: a call tree of nodes, and the sampled node of each
// tick) as the boxes of an icicle graph and a self-time table, for the HTML report
// (flame-svg.mjs draws them). Pure data, no drawing: unit-tested on a known profile.
// Idle samples (V8's "(idle)" node: the event loop waiting) are counted apart and left
// out of the boxes and the table, whose shares are of the busy samples: a mostly idle
// process would otherwise draw one wide "(idle)" box and nothing legible.

/** Boxes narrower than this share of all samples are left out (with their subtree). */
export const MIN_BOX_SHARE = 0.002;
/** Rows of the self-time table. */
export const TOP_FUNCTIONS = 20;

const nameOf = (frame) => frame.functionName || "(anonymous)";
/** Script and 1-based line, shortened to the path from `packages/` or `node_modules/` on. */
export function whereOf(frame) {
  if (!frame.url) return "";
  const url = frame.url.replace(/^file:\/\//, "");
  const short = /(?:packages|node_modules)\/.*$/.exec(url)?.[0] ?? url.split("/").pop();
  return `${short}:${frame.lineNumber + 1}`;
}

/** Samples per node id: from `samples` when the profile has them, else each node's hitCount. */
function hitsOf(profile) {
  const hits = new Map();
  if (profile.samples?.length) {
    for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  } else {
    for (const n of profile.nodes) hits.set(n.id, n.hitCount ?? 0);
  }
  return hits;
}

/**
 * @param {{nodes: object[], samples?: number[], startTime: number, endTime: number}} profile
 * @returns {{samples: number, idleSamples: number, usPerSample: number, depth: number,
 *   boxes: {name: string, where: string, depth: number, x: number, w: number, self: number, total: number}[],
 *   top: {name: string, where: string, self: number, ms: number, share: number}[]}}
 *   samples: busy ones; x and w are shares of them (0–1); self and total are sample counts.
 */
export function flameFromProfile(profile, { minShare = MIN_BOX_SHARE, top = TOP_FUNCTIONS } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const children = new Set(profile.nodes.flatMap((n) => n.children ?? []));
  const root = profile.nodes.find((n) => !children.has(n.id));
  const hits = hitsOf(profile);
  let idle = 0;
  for (const n of profile.nodes) {
    if (n.callFrame.functionName !== "(idle)") continue;
    idle += hits.get(n.id) ?? 0;
    hits.set(n.id, 0);
  }
  const totals = new Map();
  const totalOf = (node) => {
    let t = hits.get(node.id) ?? 0;
    for (const c of node.children ?? []) t += totalOf(byId.get(c));
    totals.set(node.id, t);
    return t;
  };
  const samples = totalOf(root);
  const boxes = [];
  let depth = 0;
  // Icicle layout: a node's children side by side under it, sorted by name so that
  // two profiles of the same code look alike.
  const place = (node, d, x) => {
    const total = totals.get(node.id);
    if (total === 0 || total / samples < minShare) return;
    const frame = node.callFrame;
    boxes.push({
      name: nameOf(frame),
      where: whereOf(frame),
      depth: d,
      x: x / samples,
      w: total / samples,
      self: hits.get(node.id) ?? 0,
      total,
    });
    depth = Math.max(depth, d);
    const kids = (node.children ?? []).map((c) => byId.get(c));
    kids.sort((a, b) => nameOf(a.callFrame).localeCompare(nameOf(b.callFrame)));
    let cx = x;
    for (const k of kids) {
      place(k, d + 1, cx);
      cx += totals.get(k.id);
    }
  };
  place(root, 0, 0);
  const usPerSample = samples + idle > 0 ? (profile.endTime - profile.startTime) / (samples + idle) : 0;
  const table = selfTable(profile, hits, samples, usPerSample, top);
  return { samples, idleSamples: idle, usPerSample, depth, boxes, top: table };
}

/** Self samples per function (name and place), the largest `n`. */
function selfTable(profile, hits, samples, usPerSample, n) {
  const byFunction = new Map();
  for (const node of profile.nodes) {
    const self = hits.get(node.id) ?? 0;
    if (self === 0) continue;
    const name = nameOf(node.callFrame);
    const where = whereOf(node.callFrame);
    const key = `${name}\n${where}`;
    const row = byFunction.get(key) ?? { name, where, self: 0 };
    row.self += self;
    byFunction.set(key, row);
  }
  return [...byFunction.values()]
    .sort((a, b) => b.self - a.self || a.name.localeCompare(b.name))
    .slice(0, n)
    .map((r) => ({ ...r, ms: (r.self * usPerSample) / 1000, share: samples > 0 ? r.self / samples : 0 }));
}
