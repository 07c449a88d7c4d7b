import { describe, expect, it } from "vitest";
import { createTokenBucket, takeToken } from "./token-bucket.js";

const SPEC = { ratePerSecond: 20, burst: 5 };

describe("token bucket", () => {
  it("allows a burst of 5 then refuses", () => {
    const b = createTokenBucket(SPEC, 0);
    const taken = Array.from({ length: 7 }, () => takeToken(b, SPEC, 0));
    expect(taken).toEqual([true, true, true, true, true, false, false]);
  });

  it("refills one token every 50 ms at 20 per second", () => {
    const b = createTokenBucket(SPEC, 0);
    for (let i = 0; i < 5; i++) takeToken(b, SPEC, 0);
    expect(takeToken(b, SPEC, 49)).toBe(false);
    expect(takeToken(b, SPEC, 50)).toBe(true);
    expect(takeToken(b, SPEC, 60)).toBe(false);
  });

  it("sustains exactly 20 per second over a long run", () => {
    const b = createTokenBucket(SPEC, 0);
    let accepted = 0;
    // Try every millisecond for 10 s: burst 5 + 10 s × 20/s.
    for (let t = 0; t < 10_000; t++) if (takeToken(b, SPEC, t)) accepted++;
    expect(accepted).toBeGreaterThanOrEqual(200);
    expect(accepted).toBeLessThanOrEqual(205);
  });

  it("never holds more than the burst after a long idle", () => {
    const b = createTokenBucket(SPEC, 0);
    takeToken(b, SPEC, 1_000_000);
    expect(b.tokens).toBe(4);
  });

  it("does not refill when the clock goes backwards", () => {
    const b = createTokenBucket(SPEC, 1000);
    for (let i = 0; i < 5; i++) takeToken(b, SPEC, 1000);
    expect(takeToken(b, SPEC, 500)).toBe(false);
  });
});
