// A fake clock implementing Timers: tests drive time with `advance`, never sleep.
// Between timers it drains pending promise callbacks (a setImmediate turn runs
// only after the microtask queue is empty), so async token fetches resolve in order.
import type { TimerHandle, Timers } from "../timers.js";

export interface FakeClock extends Timers {
  /** Moves time forward by `ms`, firing due timers in order. */
  advance(ms: number): Promise<void>;
  /** Lets pending promises and microtasks run without moving time. */
  settle(): Promise<void>;
  /** Number of timers waiting. */
  readonly pending: number;
}

/** 2025-11-25T10:40:00Z: a realistic wall-clock start (token `exp` values are compared with it). */
export const CLOCK_START = 1_764_067_200_000;

export function createFakeClock(start = CLOCK_START): FakeClock {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; seq: number; fn: () => void }>();
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

  function nextDue(limit: number): number | undefined {
    let best: number | undefined;
    let bestAt = Number.POSITIVE_INFINITY;
    let bestSeq = Number.POSITIVE_INFINITY;
    for (const [id, t] of timers) {
      if (t.at > limit) continue;
      if (t.at < bestAt || (t.at === bestAt && t.seq < bestSeq)) {
        best = id;
        bestAt = t.at;
        bestSeq = t.seq;
      }
    }
    return best;
  }

  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { at: now + Math.max(0, ms), seq: id, fn });
      return id;
    },
    clearTimeout(handle: TimerHandle) {
      timers.delete(handle as number);
    },
    async advance(ms) {
      const target = now + ms;
      await settle();
      for (;;) {
        const id = nextDue(target);
        if (id === undefined) break;
        const t = timers.get(id);
        timers.delete(id);
        if (t === undefined) continue;
        now = Math.max(now, t.at);
        t.fn();
        await settle();
      }
      now = target;
      await settle();
    },
    settle,
    get pending() {
      return timers.size;
    },
  };
}
