import { describe, expect, it } from "vitest";
import { BACKOFF_JITTER, BACKOFF_MS, backoffDelay, SLOW_BACKOFF_MS } from "./backoff.js";

describe("backoffDelay", () => {
  it("follows the contract's table [250, 500, 1000, 2000, 4000, 8000, 10000] ms", () => {
    expect(BACKOFF_MS).toEqual([250, 500, 1000, 2000, 4000, 8000, 10000]);
    const middle = () => 0.5;
    expect(BACKOFF_MS.map((_, i) => backoffDelay(BACKOFF_MS, i, middle))).toEqual(BACKOFF_MS);
  });

  it("stays within ±20 % of the table value whatever the random draw", () => {
    for (let i = 0; i < BACKOFF_MS.length; i++) {
      const base = BACKOFF_MS[i] as number;
      expect(backoffDelay(BACKOFF_MS, i, () => 0)).toBeCloseTo(base * (1 - BACKOFF_JITTER));
      expect(backoffDelay(BACKOFF_MS, i, () => 0.999999)).toBeLessThan(base * (1 + BACKOFF_JITTER));
      for (let k = 0; k < 50; k++) {
        const d = backoffDelay(BACKOFF_MS, i, Math.random);
        expect(d).toBeGreaterThanOrEqual(base * 0.8);
        expect(d).toBeLessThan(base * 1.2);
      }
    }
  });

  it("saturates at the last entry after many failures", () => {
    expect(backoffDelay(BACKOFF_MS, 50, () => 0.5)).toBe(10000);
    expect(backoffDelay(SLOW_BACKOFF_MS, 50, () => 0.5)).toBe(60000);
  });

  it("spreads draws instead of returning one value (jitter is real)", () => {
    const draws = new Set(
      Array.from({ length: 20 }, () => Math.round(backoffDelay(BACKOFF_MS, 3, Math.random))),
    );
    expect(draws.size).toBeGreaterThan(5);
  });
});
