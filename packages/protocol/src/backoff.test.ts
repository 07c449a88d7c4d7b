import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type BackoffSchedule,
  backoffDelay,
  NOW_SPREAD_MS,
  RECONNECT_BACKOFF,
  retryDelay,
  SLOW_BACKOFF,
} from "./backoff.js";
import { ERRORS, type RetryPolicy } from "./errors.js";

const schedule: fc.Arbitrary<BackoffSchedule> = fc.record({
  delaysMs: fc.array(fc.integer({ min: 1, max: 120_000 }), { minLength: 1, maxLength: 10 }),
  jitter: fc.double({ min: 0, max: 0.99, noNaN: true }),
});
const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe("backoffDelay", () => {
  it("stays within ±jitter of the table entry, saturating at the last entry", () => {
    fc.assert(
      fc.property(schedule, fc.integer({ min: -5, max: 50 }), unit, (s, failures, r) => {
        const i = Math.min(Math.max(0, failures), s.delaysMs.length - 1);
        const base = s.delaysMs[i] as number;
        const d = backoffDelay(s, failures, () => r);
        expect(d).toBeGreaterThanOrEqual(base * (1 - s.jitter) - 1e-9);
        expect(d).toBeLessThanOrEqual(base * (1 + s.jitter) + 1e-9);
      }),
    );
  });

  it("never shrinks from one attempt to the next for a sorted table at the same draw", () => {
    fc.assert(
      fc.property(schedule, fc.nat(20), unit, (s, failures, r) => {
        const sorted = { ...s, delaysMs: [...s.delaysMs].sort((a, b) => a - b) };
        expect(backoffDelay(sorted, failures + 1, () => r)).toBeGreaterThanOrEqual(
          backoffDelay(sorted, failures, () => r),
        );
      }),
    );
  });
});

describe("retryDelay", () => {
  it("follows every retry hint of the error table", () => {
    const policies = new Set(Object.values(ERRORS).map((e) => e.retry as RetryPolicy));
    for (const policy of policies) {
      const d = retryDelay(policy, 3, () => 0.5);
      if (policy === "none" || policy === "never") expect(d).toBeUndefined();
      else if (policy === "now" || policy === "new-token-now" || policy === "new-identity")
        expect(d).toBe(NOW_SPREAD_MS / 2);
      else if (policy === "slow-backoff") expect(d).toBe(SLOW_BACKOFF.delaysMs[3]);
      else expect(d).toBe(RECONNECT_BACKOFF.delaysMs[3]);
    }
  });
});
