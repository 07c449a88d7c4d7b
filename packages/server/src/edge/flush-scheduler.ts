// Adaptive flush scheduling for one room (docs/ARCHITECTURE.md#the-edge).
//
// A flush writes the room's pending updates as one frame to every socket, so its
// cost grows with sockets × frames (one write syscall per socket, ~5 µs each on
// loopback). The scheduler measures each flush in CPU time (wall time would count
// preemption by other processes as cost, and a busy machine would then space
// out even small rooms) and keeps a decaying sum of recent flush time, i.e. the
// share of a core this room's flushing has used over the last ~100 ms. While that load stays under `cpuShare` (default 0.5) a room
// flushes on the next event-loop turn after an update (setImmediate): small rooms
// get sub-millisecond delivery however close together their updates arrive. Once
// flushing would exceed the share, flush starts are spaced `cost / cpuShare`
// apart (1 000 sockets, ~5 ms per flush → one flush per 10 ms carrying every
// update of those 10 ms), and no update waits more than `tickMs` (default
// 16 ms) — unless one flush alone costs more than the tick (10 000 sockets that
// see everyone, ~100 ms): such a room cannot keep the tick, and flushing
// it back to back starved everything else on the event loop (S3's 10 000 joins
// took 145 s with 88 % of the core in its flushes), so its flushes start
// cost / cpuShare apart and the rest of the loop keeps its half — while
// `mustShare()` says so (the room's choice: room-outbox.ts). Otherwise a dear
// flush runs back to back, I/O still running between two flushes. Rejected: a fixed tick (adds up to 16 ms to every small room; see the
// the design's first measurements), naive per-update forwarding (saturates at 1 000 sockets
// × 50 senders), and spacing by cost alone (delays bursts in cheap rooms).

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
/**
 * A flush that costs more than this many ticks holds the event loop so long
 * that flushing back to back starves everything else (joins, reads): such a
 * room's flushes start cost / cpuShare apart instead. Measured on S3 (10 000
 * joins into one room that sees everyone, quiet machine): 1 tick 24 s and p95
 * 132 ms, 2 ticks 35 s and 151 ms, 3 ticks 60 s and 135 ms; L1 (views) joined
 * in 23–25 s with 1 or 2 (docs/BENCHMARKS.md, S3). Rejected: flushing such a room
 * back to back while no join waits. L1's p95 fell from 75–82 to 35–67 ms, but the
 * S3 slice at 2 000 then wrote twice the frames for the same updates (96–98 k/s
 * against 51–53 k/s), saturated the edge core and delivered 96 % instead of 99.9 %.
 * Kept instead for rooms whose flush is mostly routed batches (room-outbox.ts): there
 * spacing does not save writes in proportion, and a flush just over the tick fed
 * back into dearer, twice-spaced ones (L1's steady state switched from 57 flushes
 * a second at 11 ms to 25 at 18–21 ms and stayed there; docs/BENCHMARKS.md).
 */
export const HOG_FLUSH_TICKS = 1;
/**
 * Flushes costing less than this (ms, smoothed) are timed on the monotonic clock,
 * dearer ones in CPU time (which preemption by other processes does not inflate).
 */
export const PRECISE_COST_MS = 0.5;
/** Weight of the newest measurement in the flush-cost average. */
const COST_EWMA_ALPHA = 0.2;
/** Time constant of the load measurement, ms: load is flush time over roughly the last 100 ms. */
const LOAD_WINDOW_MS = 100;

export interface FlushSchedulerOptions {
  /** Longest wait between an update and the flush carrying it, ms (`--tick-ms`, default 16). */
  readonly tickMs: number;
  /** Share of one core a room's flushing may take before spacing (0–1, default 0.5). */
  readonly cpuShare?: number;
  /** Monotonic clock, ms (fractional): when to flush. */
  readonly now: () => number;
  /**
   * Must a flush dearer than HOG_FLUSH_TICKS ticks leave the loop its share (start
   * cost / cpuShare apart)? If not, it runs back to back. Default: always.
   */
  readonly mustShare?: () => boolean;
  /** CPU time of this process, ms (fractional): what a flush costs. Default: process.cpuUsage(). */
  readonly cpuNow?: () => number;
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
  /** Current minimum spacing of flush starts when the room is loaded, ms. */
  readonly intervalMs: number;
  /** Share of the event loop spent flushing this room recently (0–1). */
  readonly load: number;
  /** Flushes run, and how many of them were delayed by spacing (not on the next turn). */
  readonly flushes: number;
  readonly spacedFlushes: number;
  readonly scheduled: boolean;
}

/** Process CPU time (user + system), ms. One getrusage call, ~1 µs. */
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export function createFlushScheduler(options: FlushSchedulerOptions): FlushScheduler {
  const { tickMs, now, flush } = options;
  const cpuNow = options.cpuNow ?? processCpuMs;
  const share = options.cpuShare ?? DEFAULT_FLUSH_CPU_SHARE;
  const timers = options.timers ?? NODE_TIMERS;
  const mustShare = options.mustShare ?? (() => true);
  let cost = 0;
  let lastStart = Number.NEGATIVE_INFINITY;
  // Decaying sum of flush durations (ms), as of `busyAt`.
  let busy = 0;
  let busyAt = 0;
  let flushes = 0;
  let spaced = 0;
  let handle: unknown;
  let kind: "none" | "immediate" | "timeout" = "none";

  // A flush dearer than the tick cannot keep it: it keeps to its share when it must, else runs back to back.
  const interval = (): number => {
    if (cost <= HOG_FLUSH_TICKS * tickMs) return Math.min(tickMs, cost / share);
    return mustShare() ? cost / share : cost;
  };
  const loadAt = (t: number): number => (busy * Math.exp(-(t - busyAt) / LOAD_WINDOW_MS)) / LOAD_WINDOW_MS;

  const run = (): void => {
    const how = kind;
    kind = "none";
    handle = undefined;
    const start = now();
    // CPU time only where it matters: two getrusage calls per flush were 4 % of the core
    // in S5's 1 000 rooms of 10, whose sub-millisecond flushes preemption hardly inflates.
    const precise = cost >= PRECISE_COST_MS;
    const cpuStart = precise ? cpuNow() : start;
    lastStart = start;
    flushes++;
    if (how === "timeout") spaced++;
    flush();
    const took = Math.max(0, (precise ? cpuNow() : now()) - cpuStart);
    const end = now();
    cost = cost === 0 ? took : cost + COST_EWMA_ALPHA * (took - cost);
    busy = loadAt(end) * LOAD_WINDOW_MS + took;
    busyAt = end;
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
      const t = now();
      const wait = loadAt(t) + cost / LOAD_WINDOW_MS <= share ? 0 : lastStart + interval() - t;
      if (wait <= 0) {
        kind = "immediate";
        handle = timers.setImmediate(run);
      } else {
        kind = "timeout";
        handle = timers.setTimeout(run, Math.min(wait, interval()));
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
    get load() {
      return loadAt(now());
    },
    get flushes() {
      return flushes;
    },
    get spacedFlushes() {
      return spaced;
    },
    get scheduled() {
      return kind !== "none";
    },
  };
}
