import { describe, expect, it } from "vitest";
import { createFlushScheduler, type FlushTimers } from "./flush-scheduler.js";

/** Manual timers and clock: tests advance time instead of sleeping. */
function createFakeTime() {
  let t = 0;
  const immediates: (() => void)[] = [];
  const timeouts: { at: number; fn: () => void }[] = [];
  const timers: FlushTimers = {
    setImmediate: (fn) => {
      immediates.push(fn);
      return fn;
    },
    setTimeout: (fn, ms) => {
      const entry = { at: t + ms, fn };
      timeouts.push(entry);
      return entry;
    },
    clearImmediate: (h) => {
      const i = immediates.indexOf(h as () => void);
      if (i >= 0) immediates.splice(i, 1);
    },
    clearTimeout: (h) => {
      const i = timeouts.indexOf(h as { at: number; fn: () => void });
      if (i >= 0) timeouts.splice(i, 1);
    },
  };
  return {
    timers,
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
    runImmediates() {
      for (const fn of immediates.splice(0)) fn();
    },
    runTimeoutsDue() {
      for (const e of timeouts.filter((x) => x.at <= t)) {
        timeouts.splice(timeouts.indexOf(e), 1);
        e.fn();
      }
    },
    pending: () => ({ immediates: immediates.length, timeouts: timeouts.map((x) => x.at - t) }),
  };
}

type FakeTime = ReturnType<typeof createFakeTime>;

/** A scheduler with a 16 ms tick on fake time, whose flush runs `flush` (which may advance time). */
function schedulerOn(time: FakeTime, flush: () => void, cpuShare?: number) {
  return createFlushScheduler({
    tickMs: 16,
    cpuShare,
    now: time.now,
    cpuNow: time.now,
    timers: time.timers,
    flush,
  });
}

describe("flush scheduler", () => {
  it("flushes a cheap room on the next event-loop turn", () => {
    const time = createFakeTime();
    let flushes = 0;
    const s = schedulerOn(time, () => flushes++);
    s.request();
    s.request();
    expect(time.pending()).toEqual({ immediates: 1, timeouts: [] });
    time.runImmediates();
    expect(flushes).toBe(1);
    s.request();
    expect(time.pending().immediates).toBe(1);
  });

  it("keeps flushing on the next turn while flushing uses little of the event loop", () => {
    const time = createFakeTime();
    const s = schedulerOn(time, () => time.advance(0.5)); // 100 sockets ≈ 0.5 ms
    // Two updates 0.1 ms apart, then a burst: each flushes at once (load stays low).
    for (let i = 0; i < 5; i++) {
      s.request();
      expect(time.pending()).toEqual({ immediates: 1, timeouts: [] });
      time.runImmediates();
      time.advance(5);
    }
    expect(s.load).toBeLessThan(0.5);
  });

  it("spaces out the flushes of an expensive, busy room by its measured cost", () => {
    const time = createFakeTime();
    const s = schedulerOn(time, () => time.advance(5), 0.5); // 1 000 sockets ≈ 5 ms
    // Back-to-back updates: the first flushes run at once until the load passes the share.
    let immediate = 0;
    for (let i = 0; i < 20; i++) {
      s.request();
      if (time.pending().immediates === 1) {
        immediate++;
        time.runImmediates();
      } else {
        const [wait] = time.pending().timeouts;
        expect(wait).toBeGreaterThan(0);
        expect(wait).toBeLessThanOrEqual(10); // cost / share = 10 ms between flush starts
        time.advance(wait!);
        time.runTimeoutsDue();
      }
    }
    expect(immediate).toBeLessThan(20);
    expect(s.intervalMs).toBe(10);
  });

  it("never waits longer than one tick while a flush costs less than the tick", () => {
    const time = createFakeTime();
    const s = schedulerOn(time, () => time.advance(10), 0.1); // 10 ms at share 0.1 would mean 100 ms spacing
    s.request();
    time.runImmediates();
    expect(s.intervalMs).toBe(16);
    s.request();
    expect(time.pending().timeouts).toEqual([6]);
  });

  it("keeps a flush dearer than the tick to its share instead of flushing back to back", () => {
    const time = createFakeTime();
    const s = schedulerOn(time, () => time.advance(40), 0.5); // 10 000 sockets that see everyone ≈ 40+ ms
    s.request();
    time.runImmediates();
    expect(s.intervalMs).toBe(80);
    s.request();
    expect(time.pending().timeouts).toEqual([40]); // started 40 ms ago: the loop keeps the next 40 ms
  });

  it("flushes a dear room back to back while it need not share, and keeps its share once it must", () => {
    const time = createFakeTime();
    let joining = 0;
    const s = createFlushScheduler({
      tickMs: 16,
      cpuShare: 0.5,
      mustShare: () => joining > 0,
      now: time.now,
      cpuNow: time.now,
      timers: time.timers,
      flush: () => time.advance(40),
    });
    s.request();
    time.runImmediates();
    // Nothing else waits: idling the other 40 ms would only delay the room's updates.
    expect(s.intervalMs).toBe(40);
    s.request();
    expect(time.pending()).toEqual({ immediates: 1, timeouts: [] });
    time.runImmediates();
    // A join is in flight: the next flush leaves it the loop's half.
    joining = 1;
    expect(s.intervalMs).toBe(80);
    s.request();
    expect(time.pending()).toEqual({ immediates: 0, timeouts: [40] });
  });

  it("flushes at once when the spacing has already passed", () => {
    const time = createFakeTime();
    const s = schedulerOn(time, () => time.advance(2));
    s.request();
    time.runImmediates();
    time.advance(10);
    s.request();
    expect(time.pending()).toEqual({ immediates: 1, timeouts: [] });
  });

  it("runs a pending flush on demand and cancels the scheduled one", () => {
    const time = createFakeTime();
    let flushes = 0;
    const s = schedulerOn(time, () => flushes++);
    s.request();
    s.flushNow();
    expect(flushes).toBe(1);
    expect(s.scheduled).toBe(false);
    time.runImmediates();
    expect(flushes).toBe(1);
  });

  it("times cheap flushes on the monotonic clock and dear ones in CPU time", () => {
    const time = createFakeTime();
    let cpuReads = 0;
    let cpu = 0;
    let work = 0.1;
    const s = createFlushScheduler({
      tickMs: 16,
      now: time.now,
      cpuNow: () => {
        cpuReads++;
        return cpu;
      },
      timers: time.timers,
      flush: () => {
        time.advance(work);
        cpu += work / 2; // half the wall time was someone else's
      },
    });
    for (let i = 0; i < 5; i++) {
      s.request();
      time.runImmediates();
    }
    expect(cpuReads).toBe(0);
    expect(s.costMs).toBeCloseTo(0.1);
    work = 4;
    for (let i = 0; i < 20; i++) {
      s.request();
      time.runImmediates();
      time.runTimeoutsDue();
      time.advance(20);
    }
    expect(cpuReads).toBeGreaterThan(0);
    expect(s.costMs).toBeLessThan(2.5); // converging on the CPU time, 2 ms, not the wall time
  });
});
