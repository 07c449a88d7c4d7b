import { backoffDelay } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { BACKOFF_JITTER, BACKOFF_MS, RESTART_PROBE, RESTART_PROBE_MS, SLOW_BACKOFF_MS } from "./backoff.js";

// The backoff function itself is property-tested in the protocol package; here, the SDK's tables.
describe("the SDK's backoff schedules", () => {
  it("are the contract's tables: [250 … 10 000] ms, slow [5 000 … 60 000] ms, ±20 %", () => {
    expect(BACKOFF_MS).toEqual([250, 500, 1000, 2000, 4000, 8000, 10000]);
    expect(SLOW_BACKOFF_MS).toEqual([5000, 10000, 20000, 30000, 60000]);
    expect(BACKOFF_JITTER).toBe(0.2);
  });

  it("probe a planned restart every 500 ms ± 20 %, whatever the attempt", () => {
    for (const attempt of [0, 1, 10]) {
      expect(backoffDelay(RESTART_PROBE, attempt, () => 0)).toBeCloseTo(RESTART_PROBE_MS * 0.8);
      expect(backoffDelay(RESTART_PROBE, attempt, () => 0.999)).toBeLessThan(RESTART_PROBE_MS * 1.2);
    }
  });
});
