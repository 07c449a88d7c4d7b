// Redis faults repeat: during an outage every room fails every second. This keeps
// the log readable — the first error of each context kind is reported at once,
// then at most one per interval with the number suppressed meanwhile — while
// every failure is still counted (`total`) for metrics and tests.

import { systemClock } from "../../ops/clock.js";

/** Default quiet period per context kind, ms. */
export const DEFAULT_ERROR_INTERVAL_MS = 5000;

export interface ErrorThrottle {
  (err: unknown, context: string): void;
  readonly total: number;
}

/** `report` gets (err, context, suppressed since the last report of that kind). */
export function createErrorThrottle(
  report: (err: unknown, context: string, suppressed: number) => void,
  intervalMs = DEFAULT_ERROR_INTERVAL_MS,
  now: () => number = systemClock.now,
): ErrorThrottle {
  const kinds = new Map<string, { last: number; suppressed: number }>();
  let total = 0;
  const throttle = (err: unknown, context: string): void => {
    total++;
    // "append presence-{room}" → "append": one budget per operation, not per room.
    const kind = context.split(" ")[0] ?? context;
    const k = kinds.get(kind);
    const t = now();
    if (k && t - k.last < intervalMs) {
      k.suppressed++;
      return;
    }
    report(err, context, k?.suppressed ?? 0);
    kinds.set(kind, { last: t, suppressed: 0 });
  };
  Object.defineProperty(throttle, "total", { get: () => total });
  return throttle as ErrorThrottle;
}
