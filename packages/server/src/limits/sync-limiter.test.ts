import { describe, expect, it } from "vitest";
import { createSyncLimiter } from "./sync-limiter.js";

function fakeTime() {
  let now = 0;
  const timers: { at: number; fn: () => void }[] = [];
  return {
    now: () => now,
    timers: {
      setTimeout: (fn: () => void, ms: number) => {
        const t = { at: now + ms, fn };
        timers.push(t);
        return t;
      },
      clearTimeout: (h: unknown) => {
        const i = timers.indexOf(h as { at: number; fn: () => void });
        if (i >= 0) timers.splice(i, 1);
      },
    },
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const next = timers[0];
        if (!next || next.at > end) break;
        timers.shift();
        now = next.at;
        next.fn();
      }
      now = end;
    },
  };
}

describe("sync limiter", () => {
  it("serves a burst at once, then the rest in arrival order at the rate", () => {
    const t = fakeTime();
    const limiter = createSyncLimiter({
      rate: { ratePerSecond: 10, burst: 3 },
      now: t.now,
      timers: t.timers,
    });
    const served: number[] = [];
    for (let i = 0; i < 8; i++) expect(limiter.submit(() => served.push(i))).toBe(true);
    expect(served).toEqual([0, 1, 2]);
    expect(limiter.waiting).toBe(5);
    t.advance(250);
    expect(served).toEqual([0, 1, 2, 3, 4]);
    t.advance(1000);
    expect(served).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(limiter.waiting).toBe(0);
  });

  it("refuses a request when too many wait, and runs nothing after close", () => {
    const t = fakeTime();
    const limiter = createSyncLimiter({
      rate: { ratePerSecond: 1, burst: 1 },
      maxWaiting: 2,
      now: t.now,
      timers: t.timers,
    });
    const served: number[] = [];
    expect(limiter.submit(() => served.push(0))).toBe(true);
    expect(limiter.submit(() => served.push(1))).toBe(true);
    expect(limiter.submit(() => served.push(2))).toBe(true);
    expect(limiter.submit(() => served.push(3))).toBe(false);
    limiter.close();
    t.advance(10_000);
    expect(served).toEqual([0]);
  });

  it("refuses a rate that is not positive", () => {
    expect(() => createSyncLimiter({ rate: { ratePerSecond: 0, burst: 1 } })).toThrow(RangeError);
  });
});
