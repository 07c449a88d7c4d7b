// Detects event-loop stalls of this process. Rate limits run on the time the
// server handles a frame; after the process was stalled (GC, CPU starvation on a
// busy host) a compliant client's patches are handled in one bunch, and a plain
// token bucket would refuse them — the server's pause blamed on the client. The
// edge widens buckets by the recent stall (tokens the client earned meanwhile),
// so the sustained limit holds while pauses never draw RATE_LIMITED.

/** How often the monitor's timer should fire, ms. */
export const STALL_PROBE_MS = 50;
/** How long a stall keeps widening buckets, ms (covers handling the bunched frames). */
export const STALL_HOLD_MS = 5000;

export interface StallMonitor {
  /** The longest stall seen within the hold period, ms (0 when the loop runs on time). */
  recentStallMs(): number;
  stop(): void;
}

export interface StallMonitorOptions {
  /** Monotonic clock, ms. */
  readonly now?: () => number;
  readonly probeMs?: number;
  readonly holdMs?: number;
  readonly setInterval?: (fn: () => void, ms: number) => { unref?(): void };
  readonly clearInterval?: (handle: unknown) => void;
}

export function createStallMonitor(options: StallMonitorOptions = {}): StallMonitor {
  const now = options.now ?? (() => performance.now());
  const probeMs = options.probeMs ?? STALL_PROBE_MS;
  const holdMs = options.holdMs ?? STALL_HOLD_MS;
  let last = now();
  let stall = 0;
  let stallAt = Number.NEGATIVE_INFINITY;
  const tick = (): void => {
    const t = now();
    const late = t - last - probeMs;
    last = t;
    if (late > stall || t - stallAt > holdMs) {
      stall = Math.max(0, late);
      stallAt = t;
    }
  };
  const handle = (options.setInterval ?? setInterval)(tick, probeMs);
  handle.unref?.();
  return {
    recentStallMs() {
      const t = now();
      // A stall still in progress counts too: a long flush runs in the timers phase, and the
      // frames it held back are read in the poll phase right after it, before this monitor's
      // next tick could record it (L1's storm-settling flush of ~0.4 s drew RATE_LIMITED for
      // 20 Hz senders that way; docs/BENCHMARKS.md, session 14).
      const ongoing = Math.max(0, t - last - probeMs);
      return Math.max(ongoing, t - stallAt > holdMs ? 0 : stall);
    },
    stop() {
      (options.clearInterval ?? ((h) => clearInterval(h as NodeJS.Timeout)))(handle);
    },
  };
}
