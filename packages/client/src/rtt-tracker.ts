// Round trips of the SDK's own patches: send time per clock, matched with the
// echo of that clock in the room's BATCH (the edge's ack, docs/ARCHITECTURE.md#the-edge). Counts go to
// the server as RTT_REPORT with the welcome's bucket bounds (+Inf last), feeding
// `presence_rtt_ms`. Counts are per bucket (not cumulative) and since the last report.

/** How often counts are reported, ms. */
export const RTT_REPORT_INTERVAL_MS = 10_000;
/** Unacknowledged send times kept; older ones are dropped (their echo is not coming). */
export const MAX_PENDING_SAMPLES = 256;

export interface RttTracker {
  /** New epoch: forget pending samples, use these bucket upper bounds (ms). */
  reset(bounds: readonly number[]): void;
  sent(clock: number, at: number): void;
  /** Own update covering clocks (base, clock] came back at `at`. */
  echoed(base: number, clock: number, at: number): void;
  /** Forget pending samples (their clocks are no longer trustworthy). */
  forgetPending(): void;
  /** Counts since the last report, or null when there were none. */
  takeReport(): number[] | null;
  /** Every sample observed so far (tests, diagnostics), ms. */
  readonly samples: number;
}

export function createRttTracker(): RttTracker {
  let bounds: readonly number[] = [];
  let counts: number[] = [0];
  let total = 0;
  let samples = 0;
  const sentAt = new Map<number, number>();

  function observe(ms: number): void {
    let i = 0;
    while (i < bounds.length && ms > (bounds[i] as number)) i++;
    counts[i] = (counts[i] ?? 0) + 1;
    total++;
    samples++;
  }

  return {
    reset(next) {
      bounds = [...next];
      counts = new Array<number>(bounds.length + 1).fill(0);
      total = 0;
      sentAt.clear();
    },
    sent(clock, at) {
      sentAt.set(clock, at);
      if (sentAt.size > MAX_PENDING_SAMPLES) sentAt.delete(sentAt.keys().next().value as number);
    },
    echoed(base, clock, at) {
      // Map order is clock order; stop at the first clock beyond the echo.
      for (const [c, t] of sentAt) {
        if (c > clock) break;
        sentAt.delete(c);
        if (c > base) observe(at - t);
      }
    },
    forgetPending() {
      sentAt.clear();
    },
    takeReport() {
      if (total === 0) return null;
      const report = counts;
      counts = new Array<number>(bounds.length + 1).fill(0);
      total = 0;
      return report;
    },
    get samples() {
      return samples;
    },
  };
}
