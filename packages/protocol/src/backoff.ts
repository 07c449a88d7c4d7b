// Reconnect backoff, one pure function for every reconnecting part (CONTRIBUTING.md#habits (5)):
// the SDK's connection, the edge's streams to pods and the shadow mirror. Each
// part names its schedule (a table of delays and a jitter); the SDK picks its
// schedule from an error's retry hint in the error table (PROTOCOL.md §7).
import type { RetryPolicy } from "./errors.js";

export interface BackoffSchedule {
  /** Delays after consecutive failed attempts, ms; the attempt index saturates at the last. */
  readonly delaysMs: readonly number[];
  /** Each delay is drawn uniformly from ±jitter × the table value (0 ≤ jitter < 1). */
  readonly jitter: number;
}

/**
 * The SDK's reconnect schedule: the 250 ms start keeps short outages short; ±20 %
 * jitter keeps thousands of clients cut off together (a server restart) from
 * reconnecting in lockstep. Full jitter (0..delay) was rejected: it often makes the
 * first retry near 0 ms.
 */
export const RECONNECT_BACKOFF: BackoffSchedule = {
  delaysMs: [250, 500, 1000, 2000, 4000, 8000, 10000],
  jitter: 0.2,
};

/** `slow-backoff` codes (ROOM_FULL, ABUSIVE_CLIENT, …): retrying soon would only be refused again. */
export const SLOW_BACKOFF: BackoffSchedule = { delaysMs: [5000, 10000, 20000, 30000, 60000], jitter: 0.2 };

/** `now` (SERVER_SHUTTING_DOWN, close 1012): at once, spread over 0..250 ms so a fleet's clients do not arrive in one burst. */
export const NOW_SPREAD_MS = 250;

/** The delay before attempt `failures` (0 = the first retry), with jitter; `random()` is in [0, 1). */
export function backoffDelay(schedule: BackoffSchedule, failures: number, random: () => number): number {
  const { delaysMs, jitter } = schedule;
  const i = Math.min(Math.max(0, Math.floor(failures)), delaysMs.length - 1);
  const base = delaysMs[i] ?? 0;
  return base * (1 - jitter + 2 * jitter * random());
}

/**
 * The delay an error's retry hint asks for, or undefined when the hint is not to
 * reconnect (`none`: the connection stays; `never`: needs the user or the app).
 */
export function retryDelay(policy: RetryPolicy, failures: number, random: () => number): number | undefined {
  switch (policy) {
    case "none":
    case "never":
      return undefined;
    case "now":
    case "new-token-now":
    case "new-identity":
      return NOW_SPREAD_MS * random();
    case "new-token-backoff":
      return backoffDelay(RECONNECT_BACKOFF, failures, random);
    case "slow-backoff":
      return backoffDelay(SLOW_BACKOFF, failures, random);
    default: {
      const unknown: never = policy;
      throw new TypeError(`unknown retry policy ${String(unknown)}`);
    }
  }
}
