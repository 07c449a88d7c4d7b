import { describe, expect, it } from "vitest";
import { createRateBudget } from "./rate-budget.js";

/** Send times (ms) of a sender that sends whenever allowed, wanting a frame every `interval` ms. */
function sendTimes(interval: number, until: number, rate = 20, burst = 5): number[] {
  const budget = createRateBudget(rate, burst, 0);
  const out: number[] = [];
  let t = 0;
  while (t <= until) {
    const at = Math.max(t, budget.readyAt(t));
    if (at > until) break;
    expect(budget.take(at)).toBe(true);
    out.push(at);
    t = at + interval;
  }
  return out;
}

describe("createRateBudget", () => {
  it("keeps one token of the server's burst in reserve", () => {
    expect(createRateBudget(20, 5, 0).tokens(0)).toBe(4);
  });

  it("lets a short gesture out at 60 Hz for 5 frames, then paces it", () => {
    const times = sendTimes(1000 / 60, 200);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    expect(gaps.slice(0, 4).every((g) => Math.abs(g - 1000 / 60) < 1e-6)).toBe(true);
    expect(gaps[4]).toBeGreaterThan(1000 / 60 + 1);
  });

  it("settles a continuous drag at 20 Hz", () => {
    const times = sendTimes(1000 / 60, 10_000);
    const tail = times.filter((t) => t >= 5000);
    const gaps = tail.slice(1).map((t, i) => t - (tail[i] as number));
    for (const g of gaps) expect(g).toBeCloseTo(50, 6);
    // 10 s at 20/s plus the 4-token head start.
    expect(times.length).toBeLessThanOrEqual(20 * 10 + 4 + 1);
  });

  it("refills slower instead of reserving a token when the server's burst is 1", () => {
    const times = sendTimes(1, 1000, 20, 1);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    for (const g of gaps) expect(g).toBeCloseTo(62.5, 6);
  });

  it("refuses nonsense budgets with RangeError", () => {
    expect(() => createRateBudget(0, 5, 0)).toThrow(RangeError);
    expect(() => createRateBudget(20, 0, 0)).toThrow(RangeError);
  });
});
