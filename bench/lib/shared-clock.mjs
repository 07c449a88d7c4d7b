// The bench's one clock, in every process that times updates (load-worker.mjs,
// synthetic-edge.mjs): process.hrtime() minus the base the coordinator hands out.
// hrtime is CLOCK_MONOTONIC, shared by all processes of one machine, so a send
// timestamp taken in one process and a receive time taken in another subtract to
// the true latency.
let baseS = 0;
let baseNs = 0;

/** Sets the base, `process.hrtime()` of the coordinator as [s, ns]. */
export function setClockBase([s, ns]) {
  baseS = s;
  baseNs = ns;
}

/** µs since the base. */
export function nowUs() {
  const [s, ns] = process.hrtime();
  return (s - baseS) * 1e6 + (ns - baseNs) / 1e3;
}
