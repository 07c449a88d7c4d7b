// Time is injected (CONTRIBUTING.md#habits (3)): tests drive a fake clock instead of sleeping.

export type TimerHandle = unknown;

export interface Timers {
  /**
   * Milliseconds since the Unix epoch, monotonic (token expiry is compared with it,
   * RTTs are differences of it).
   */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/**
 * performance.timeOrigin + performance.now() where it exists (browsers, Node): wall-clock based
 * but monotonic, and sub-millisecond for RTT samples. Date.now() otherwise.
 */
export const systemTimers: Timers = {
  now: () =>
    typeof performance !== "undefined" && typeof performance.timeOrigin === "number"
      ? performance.timeOrigin + performance.now()
      : Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** A one-shot timer slot: starting it again replaces the previous timer. */
export interface TimerSlot {
  start(ms: number, callback: () => void): void;
  clear(): void;
  readonly active: boolean;
}

export function createTimerSlot(timers: Timers): TimerSlot {
  let handle: TimerHandle | undefined;
  return {
    start(ms, callback) {
      if (handle !== undefined) timers.clearTimeout(handle);
      handle = timers.setTimeout(
        () => {
          handle = undefined;
          callback();
        },
        Math.max(0, ms),
      );
    },
    clear() {
      if (handle !== undefined) timers.clearTimeout(handle);
      handle = undefined;
    },
    get active() {
      return handle !== undefined;
    },
  };
}
