// Reconnect delays. One named table per retry policy (CONTRIBUTING.md#habits (5)); the attempt
// index saturates at the last entry.

/** Delays after consecutive failed attempts, ms. The 250 ms start keeps short outages short. */
export const BACKOFF_MS: readonly number[] = [250, 500, 1000, 2000, 4000, 8000, 10000];
/** `slow-backoff` codes (ROOM_FULL, ABUSIVE_CLIENT, …): retrying soon would only be refused again, ms. */
export const SLOW_BACKOFF_MS: readonly number[] = [5000, 10000, 20000, 30000, 60000];
/**
 * Jitter: each delay is drawn uniformly from ±20 % of the table value, so thousands of
 * clients cut off together (a server restart) do not reconnect in lockstep.
 * Full jitter (0..delay) was rejected: it makes the first retry often near 0 ms.
 */
export const BACKOFF_JITTER = 0.2;
/**
 * `now` policy (SERVER_SHUTTING_DOWN, close 1012): reconnect at once, spread over
 * 0..250 ms so a restarting fleet's clients do not arrive in one burst.
 */
export const NOW_SPREAD_MS = 250;
/**
 * After a planned restart (SERVER_SHUTTING_DOWN / 1012) the SDK probes every
 * RESTART_PROBE_MS (±jitter) for RESTART_WINDOW_MS before falling back to
 * BACKOFF_MS. A restart takes a few seconds; the table's 2 s, 4 s and 8 s steps
 * would turn a 4 s restart into an 8 s outage, past lostConnectionTimeout (5 s),
 * and others would flicker. A refused TCP connect costs the server almost nothing.
 */
export const RESTART_PROBE_MS = 500;
export const RESTART_WINDOW_MS = 6000;

/** The delay before attempt `failures` (0 = first retry), with jitter; `random()` is in [0, 1). */
export function backoffDelay(table: readonly number[], failures: number, random: () => number): number {
  const base = table[Math.min(Math.max(0, failures), table.length - 1)] ?? 0;
  return base * (1 - BACKOFF_JITTER + 2 * BACKOFF_JITTER * random());
}
