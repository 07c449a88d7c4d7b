// The server's one source of time (CONTRIBUTING.md "Time"): every part that
// reads the time or sets a timer takes a Clock from the role that starts it, so
// unit tests drive time with a fake clock (test-support/fake-clock.ts) instead of
// sleeping. Handles are opaque: a fake clock's handles are numbers, the system's
// are Node Timeout objects.

export type TimerHandle = unknown;

export interface Clock {
  /** Milliseconds since the Unix epoch (token `exp`, last-seen times, log stamps). */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  setInterval(callback: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}

/**
 * Real time. Timers are unref'd: a server's liveness comes from its listening
 * sockets, so a pending sweep or heartbeat never keeps a closed server's process
 * (or a test worker) alive.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as NodeJS.Timeout),
  setInterval: (callback, ms) => globalThis.setInterval(callback, ms).unref(),
  clearInterval: (handle) => globalThis.clearInterval(handle as NodeJS.Timeout),
};
