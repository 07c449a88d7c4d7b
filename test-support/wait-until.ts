// Polling with a deadline, for integration tests that wait on something with no
// event to await (a process's log, another pod's view, a metric). Shared by every
// workspace's tests (plain TypeScript outside the packages, like cli-process.ts).
// Tests that can await an event should: polling is for what has none.

/** How often `waitUntil` re-checks by default, ms. */
export const POLL_INTERVAL_MS = 20;

export interface WaitOptions {
  /** Re-check period, ms (default 20); raise it for checks that cost a request. */
  readonly intervalMs?: number;
  /** Appended to the timeout error (e.g. the processes' logs). */
  readonly detail?: () => string;
}

/**
 * Resolves with the time it took, ms, once `check` returns true; throws
 * "<what>: not true after <timeoutMs> ms" if it has not by then.
 */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  options: WaitOptions = {},
): Promise<number> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > timeoutMs) {
      const detail = options.detail ? `\n${options.detail()}` : "";
      throw new Error(`${what}: not true after ${timeoutMs} ms${detail}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? POLL_INTERVAL_MS));
  }
  return performance.now() - start;
}
