// Adaptive flush scheduling for one room (BRIEF §6).
//
// A flush writes the room's pending updates as one frame to every socket, so its
// cost grows with sockets × frame size. We measure that cost (EWMA of the flush
// duration) and let a room's flushing use at most `cpuShare` of the event loop:
// consecutive flush starts are at least `cost / cpuShare` apart, capped at
// `tickMs`. A cheap room (say 20 sockets, 0.05 ms per flush → 0.1 ms spacing)
// therefore flushes on the next event-loop turn after an update (setImmediate),
// giving sub-millisecond delivery; an expensive one (1 000 sockets, ~3 ms per
// flush → 6 ms spacing at share 0.5) batches more updates per frame; no update
// waits more than `tickMs` (default 16 ms). Rejected: a fixed tick (adds up to
// 16 ms to every small room, see the BRIEF's measurements) and naive per-update
// forwarding (saturates at 1 000 sockets × 50 senders).

export interface FlushTimers {
  setImmediate(fn: () => void): unknown;
  setTimeout(fn: () => void, ms: number): unknown;
  clearImmediate(handle: unknown): void;
  clearTimeout(handle: unknown): void;
}

export const NODE_TIMERS: FlushTimers = {
  setImmediate: (fn) => setImmediate(fn),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearImmediate: (h) => clearImmediate(h as NodeJS.Immediate),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Default share of one core a room's flushes may use before they are spaced out. */
export const DEFAULT_FLUSH_CPU_SHARE = 0.5;
/** Weight of the newest measurement in the flush-cost average. */
const COST_EWMA_ALPHA = 0.2;

export interface FlushSchedulerOptions {
  /** Longest wait between an update and the flush carrying it, ms (`--tick-ms`, default 16). */
  readonly tickMs: number;
  /** Share of one core a room's flushing may take before spacing (0–1, default 0.5). */
  readonly cpuShare?: number;
  /** Monotonic clock, ms (fractional). */
  readonly now: () => number;
  readonly timers?: FlushTimers;
  /** Performs the flush. Its duration is measured. */
  readonly flush: () => void;
}

export interface FlushScheduler {
  /** Something is pending: make sure a flush happens soon (idempotent until it runs). */
  request(): void;
  /** Runs a pending flush now (e.g. before a snapshot) and cancels the scheduled one. */
  flushNow(): void;
  cancel(): void;
  /** Smoothed flush duration, ms. */
  readonly costMs: number;
  /** Current minimum spacing of flush starts, ms. */
  readonly intervalMs: number;
  readonly scheduled: boolean;
}

export function createFlushScheduler(options: FlushSchedulerOptions): FlushScheduler {
  const { tickMs, now, flush } = options;
  const share = options.cpuShare ?? DEFAULT_FLUSH_CPU_SHARE;
  const timers = options.timers ?? NODE_TIMERS;
  let cost = 0;
  let lastStart = Number.NEGATIVE_INFINITY;
  let handle: unknown;
  let kind: "none" | "immediate" | "timeout" = "none";

  const interval = (): number => Math.min(tickMs, cost / share);

  const run = (): void => {
    kind = "none";
    handle = undefined;
    const start = now();
    lastStart = start;
    flush();
    const took = now() - start;
    cost = cost === 0 ? took : cost + COST_EWMA_ALPHA * (took - cost);
  };

  const cancel = (): void => {
    if (kind === "immediate") timers.clearImmediate(handle);
    else if (kind === "timeout") timers.clearTimeout(handle);
    kind = "none";
    handle = undefined;
  };

  return {
    request() {
      if (kind !== "none") return;
      const wait = lastStart + interval() - now();
      if (wait <= 0) {
        kind = "immediate";
        handle = timers.setImmediate(run);
      } else {
        kind = "timeout";
        handle = timers.setTimeout(run, Math.min(wait, tickMs));
      }
    },
    flushNow() {
      cancel();
      run();
    },
    cancel,
    get costMs() {
      return cost;
    },
    get intervalMs() {
      return interval();
    },
    get scheduled() {
      return kind !== "none";
    },
  };
}
