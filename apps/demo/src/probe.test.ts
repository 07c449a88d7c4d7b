import { describe, expect, it } from "vitest";
import { createProbe, MAX_SAMPLES, recordSample, wallClockNow } from "./probe.js";

describe("presence probe", () => {
  it("stamps samples in wall-clock milliseconds", () => {
    // timeOrigin + performance.now() drifts from Date.now() by a few ms over a long
    // process (a CI run saw 1.3 ms); what matters is wall-clock scale, not sub-ms
    // agreement (a performance.now() stamp would be ~10^12 ms off).
    const DRIFT_MS = 100;
    const before = Date.now();
    const t = wallClockNow();
    expect(t).toBeGreaterThanOrEqual(before - DRIFT_MS);
    expect(t).toBeLessThanOrEqual(Date.now() + DRIFT_MS);
  });

  it("keeps only the newest samples", () => {
    const probe = createProbe("demo");
    for (let i = 0; i < MAX_SAMPLES + 10; i++) recordSample(probe.sent, { x: 0, y: 0, t: i });
    expect(probe.sent).toHaveLength(MAX_SAMPLES);
    expect(probe.sent[0]!.t).toBe(10);
  });
});
