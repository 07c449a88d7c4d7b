// How many round-trip samples one connection may feed into `presence_rtt_ms`
// (docs/OPERATIONS.md#presencerttp95high). A client measures at most one round
// trip per acknowledged patch, and patches are limited to RATE_PER_SECOND, so a
// report may carry at most that many samples per second since the connection's
// previous report (or its join), and reports come at most every
// RTT_REPORT_MIN_INTERVAL_MS. A token holder could otherwise push 100 000 fake
// samples in a fraction of a second and fire or mask the latency alert; with the
// budget one connection weighs what one honest client weighs.
import { RATE_PER_SECOND } from "@collabblocks/protocol";

/** Shortest spacing of a connection's RTT reports, ms (the SDK reports every 10 s). */
export const RTT_REPORT_MIN_INTERVAL_MS = 1000;
/** The longest stretch one report may account for, ms (a report after an hour is not 72 000 samples). */
export const RTT_REPORT_MAX_SPAN_MS = 60_000;

export interface RttBudget {
  /** When the connection's last accepted report (or join) was, ms (monotonic). */
  lastAt: number;
}

export type RttVerdict = "ok" | "too-soon" | "too-many";

/** Judges a report of `samples` round trips at `now`; an accepted one moves the budget forward. */
export function takeRttReport(budget: RttBudget, samples: number, now: number): RttVerdict {
  const elapsed = now - budget.lastAt;
  if (elapsed < RTT_REPORT_MIN_INTERVAL_MS) return "too-soon";
  const allowed = Math.ceil((Math.min(elapsed, RTT_REPORT_MAX_SPAN_MS) / 1000) * RATE_PER_SECOND);
  if (samples > allowed) return "too-many";
  budget.lastAt = now;
  return "ok";
}
