// presence_rtt_ms (docs/OPERATIONS.md#metrics): the SDKs measure send → echo
// round trips and report bucket counts (RTT_REPORT, PROTOCOL.md §3); the server
// adds them to one histogram. A report is trusted only in shape and size: one
// client must not skew the histogram or spin the loop.
import { RTT_BUCKETS_MS } from "@collabblocks/protocol";
import { Histogram, type Registry } from "prom-client";

/** Most round trips one report may carry (60 Hz × 60 s is 3 600). */
export const MAX_RTT_REPORT_TOTAL = 10_000;

/** A value inside each bucket, used to place reported counts (midpoints; 1.5× the last bound for +Inf). */
const BUCKET_VALUES: readonly number[] = [
  ...RTT_BUCKETS_MS.map((upper, i) => (i === 0 ? upper / 2 : (upper + (RTT_BUCKETS_MS[i - 1] ?? 0)) / 2)),
  (RTT_BUCKETS_MS[RTT_BUCKETS_MS.length - 1] ?? 500) * 1.5,
];

/**
 * Registers the histogram; the returned function adds one report (counts per bucket of
 * RTT_BUCKETS_MS plus +Inf) and returns false, adding nothing, for a report of the wrong
 * shape or an implausible total.
 */
export function createRttHistogram(registry: Registry): (counts: readonly number[]) => boolean {
  const rtt = new Histogram({
    name: "presence_rtt_ms",
    help: "SDK-measured send → echo round trips, ms (from RTT_REPORT bucket counts)",
    buckets: [...RTT_BUCKETS_MS],
    registers: [registry],
  });
  return (counts) => {
    if (counts.length !== BUCKET_VALUES.length) return false;
    let total = 0;
    for (const c of counts) total += c;
    if (!Number.isSafeInteger(total) || total > MAX_RTT_REPORT_TOTAL) return false;
    for (let i = 0; i < counts.length; i++) {
      const value = BUCKET_VALUES[i]!;
      for (let n = counts[i]!; n > 0; n--) rtt.observe(value);
    }
    return true;
  };
}
