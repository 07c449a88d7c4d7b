import { describe, expect, it } from "vitest";
import { createMetrics } from "./metrics.js";
import { createServerStats, STAT_METRICS } from "./server-stats.js";

describe("server stats", () => {
  it("exports every stat as exactly one metric, and no metric twice", () => {
    const stats = Object.keys(createServerStats()).sort();
    expect(STAT_METRICS.map((m) => m.stat).sort()).toEqual(stats);
    expect(new Set(STAT_METRICS.map((m) => m.name)).size).toBe(STAT_METRICS.length);
  });

  it("reads each stat into its metric at scrape time", async () => {
    const m = createMetrics(
      { connections: () => 0, rooms: () => 0, backlog: () => 0, evictions: () => 0 },
      { defaultMetrics: false },
    );
    for (const [i, s] of STAT_METRICS.entries()) m.stats[s.stat] = 100 + i;
    const text = await m.registry.metrics();
    for (const [i, s] of STAT_METRICS.entries()) {
      expect(text).toContain(`# TYPE ${s.name} ${s.type}\n${s.name} ${100 + i}\n`);
    }
  });
});
