// A fake Clock for server unit tests: `advance(ms)` fires due timers in order
// (intervals re-arm), and pending promise callbacks run between timers, so async
// work a timer starts settles before the next one fires. Tests never sleep.
import type { Clock, TimerHandle } from "../ops/clock.js";

export interface FakeClock extends Clock {
  /** Moves time forward by `ms`, firing due timers (and intervals, repeatedly) in order. */
  advance(ms: number): Promise<void>;
  /** Lets pending promises run without moving time. */
  settle(): Promise<void>;
  /** Number of timers and intervals waiting. */
  readonly pending: number;
}

/** 2025-11-25T10:40:00Z: a realistic wall-clock start (token `exp` values are compared with it). */
export const CLOCK_START = 1_764_067_200_000;

interface Timer {
  at: number;
  readonly seq: number;
  readonly every: number | undefined;
  readonly fn: () => void;
}

export function createFakeClock(start = CLOCK_START): FakeClock {
  let now = start;
  let seq = 0;
  const timers = new Map<number, Timer>();
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

  function nextDue(limit: number): number | undefined {
    let best: number | undefined;
    let bestTimer: Timer | undefined;
    for (const [id, t] of timers) {
      if (t.at > limit) continue;
      if (
        bestTimer === undefined ||
        t.at < bestTimer.at ||
        (t.at === bestTimer.at && t.seq < bestTimer.seq)
      ) {
        best = id;
        bestTimer = t;
      }
    }
    return best;
  }

  function add(fn: () => void, ms: number, every: number | undefined): TimerHandle {
    const id = ++seq;
    timers.set(id, { at: now + Math.max(0, ms), seq: id, every, fn });
    return id;
  }

  return {
    now: () => now,
    setTimeout: (fn, ms) => add(fn, ms, undefined),
    clearTimeout: (handle) => void timers.delete(handle as number),
    setInterval: (fn, ms) => add(fn, ms, Math.max(1, ms)),
    clearInterval: (handle) => void timers.delete(handle as number),
    async advance(ms) {
      const target = now + ms;
      await settle();
      for (;;) {
        const id = nextDue(target);
        if (id === undefined) break;
        const t = timers.get(id) as Timer;
        now = Math.max(now, t.at);
        if (t.every === undefined) timers.delete(id);
        else t.at += t.every;
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
