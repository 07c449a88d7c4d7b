// The flame-graph builder of the HTML report (--cpu-prof) on a known small profile:
// the boxes' layout, idle left out, pruning, and the self-time table.
import { describe, expect, it } from "vitest";
import { type CpuProfile, flameFromProfile } from "./flame-graph.mjs";
import { flameSvg, topTable } from "./flame-svg.mjs";

const frame = (functionName: string, url = "", lineNumber = 0) => ({ functionName, url, lineNumber });
// (root) → main → {encode, writev}; (root) → (idle); (root) → (garbage collector).
const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame("(root)"), children: [2, 5, 6] },
    { id: 2, callFrame: frame("main", "file:///srv/app/packages/server/dist/a.js", 9), children: [3, 4] },
    { id: 3, callFrame: frame("encode", "file:///srv/app/node_modules/msgpackr/pack.js", 0) },
    { id: 4, callFrame: frame("writev") },
    { id: 5, callFrame: frame("(idle)") },
    { id: 6, callFrame: frame("(garbage collector)") },
  ],
  // 8 samples over 8 ms: encode ×3, writev, main, idle ×2, gc.
  samples: [3, 3, 4, 2, 5, 5, 6, 3],
  startTime: 0,
  endTime: 8000,
};

describe("flameFromProfile", () => {
  it("lays out the busy call tree as icicle boxes, callees sorted by name", () => {
    const f = flameFromProfile(PROFILE, { minShare: 0 });
    expect(f.samples).toBe(6);
    expect(f.idleSamples).toBe(2);
    expect(f.usPerSample).toBe(1000);
    expect(f.depth).toBe(2);
    const boxes = f.boxes.map((b) => [b.name, b.where, b.depth, b.x * 6, b.w * 6, b.self, b.total]);
    expect(boxes).toEqual([
      ["(root)", "", 0, 0, 6, 0, 6],
      ["(garbage collector)", "", 1, 0, 1, 1, 1],
      ["main", "packages/server/dist/a.js:10", 1, 1, 5, 1, 5],
      ["encode", "node_modules/msgpackr/pack.js:1", 2, 1, 3, 3, 3],
      ["writev", "", 2, 4, 1, 1, 1],
    ]);
  });

  it("leaves out boxes (and their callees) under the minimum share", () => {
    const f = flameFromProfile(PROFILE, { minShare: 0.2 });
    expect(f.boxes.map((b) => b.name)).toEqual(["(root)", "main", "encode"]);
  });

  it("ranks functions by self time, shares of the busy samples", () => {
    const f = flameFromProfile(PROFILE, { top: 3 });
    expect(f.top).toEqual([
      { name: "encode", where: "node_modules/msgpackr/pack.js:1", self: 3, ms: 3, share: 0.5 },
      { name: "(garbage collector)", where: "", self: 1, ms: 1, share: 1 / 6 },
      { name: "main", where: "packages/server/dist/a.js:10", self: 1, ms: 1, share: 1 / 6 },
    ]);
  });

  it("counts hitCount when the profile has no samples array", () => {
    const nodes = PROFILE.nodes.map((n) => ({ ...n, hitCount: n.id === 3 ? 2 : n.id === 5 ? 1 : 0 }));
    const f = flameFromProfile({ ...PROFILE, nodes, samples: undefined });
    expect([f.samples, f.idleSamples]).toEqual([2, 1]);
    expect(f.top.map((r) => r.name)).toEqual(["encode"]);
  });
});

describe("flameSvg", () => {
  it("draws one rect per box with a tooltip, and no script", () => {
    const f = flameFromProfile(PROFILE, { minShare: 0 });
    const svg = flameSvg(f, "edge");
    expect(svg.match(/<rect /g)).toHaveLength(f.boxes.length);
    expect(svg).toContain(
      "<title>encode node_modules/msgpackr/pack.js:1 — 3.0 ms (50.0 %), self 3.0 ms</title>",
    );
    expect(svg).not.toContain("<script");
    expect(topTable(f).match(/<tr>/g)).toHaveLength(1 + f.top.length);
  });
});
