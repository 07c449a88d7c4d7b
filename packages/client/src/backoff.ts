// Reconnect delays of the SDK. The schedules and the one backoff function are the
// protocol package's (packages/protocol/src/backoff.ts), shared with the server's
// reconnecting parts; what is the SDK's own is the probing after a planned restart.
import { type BackoffSchedule, NOW_SPREAD_MS, RECONNECT_BACKOFF, SLOW_BACKOFF } from "@collabblocks/protocol";

export { NOW_SPREAD_MS };
/** Delays after consecutive failed attempts, ms (RECONNECT_BACKOFF's table). */
export const BACKOFF_MS: readonly number[] = RECONNECT_BACKOFF.delaysMs;
/** `slow-backoff` codes (ROOM_FULL, ABUSIVE_CLIENT, …), ms (SLOW_BACKOFF's table). */
export const SLOW_BACKOFF_MS: readonly number[] = SLOW_BACKOFF.delaysMs;
/** ± share of each delay drawn at random. */
export const BACKOFF_JITTER = RECONNECT_BACKOFF.jitter;
/**
 * After a planned restart (SERVER_SHUTTING_DOWN / 1012) the SDK probes every
 * RESTART_PROBE_MS (±jitter) for RESTART_WINDOW_MS before falling back to
 * BACKOFF_MS. A restart takes a few seconds; the table's 2 s, 4 s and 8 s steps
 * would turn a 4 s restart into an 8 s outage, past lostConnectionTimeout (5 s),
 * and others would flicker. A refused TCP connect costs the server almost nothing.
 */
export const RESTART_PROBE_MS = 500;
export const RESTART_WINDOW_MS = 6000;
/**
 * A welcomed socket that drops without a close frame (1006: the server crashed or
 * was killed, or the network went) is probed the same way for CRASH_WINDOW_MS: a
 * process manager restarts a crashed server within seconds, and the table's
 * steps turned a 5 s crash into a 17 s outage. Past the window, BACKOFF_MS.
 */
export const CRASH_WINDOW_MS = 10_000;
/** The probing schedule: one entry, so every probe waits RESTART_PROBE_MS ± jitter. */
export const RESTART_PROBE: BackoffSchedule = { delaysMs: [RESTART_PROBE_MS], jitter: BACKOFF_JITTER };
