import { describe, expect, it } from "vitest";
import { createProbe, MAX_SAMPLES, recordSample, wallClockNow } from "./probe.js";

describe("presence probe", () => {
  it("stamps samples in wall-clock milliseconds", () => {
    const before = Date.now();
    const t = wallClockNow();
    expect(t).toBeGreaterThanOrEqual(before - 1);
    expect(t).toBeLessThanOrEqual(Date.now() + 1);
  });

  it("keeps only the newest samples", () => {
    const probe = createProbe("demo");
    for (let i = 0; i < MAX_SAMPLES + 10; i++) recordSample(probe.sent, { x: 0, y: 0, t: i });
    expect(probe.sent).toHaveLength(MAX_SAMPLES);
    expect(probe.sent[0]!.t).toBe(10);
  });
});
