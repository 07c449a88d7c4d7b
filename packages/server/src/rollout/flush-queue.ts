// The shadow mirror's connections with a folded patch waiting (shadow.ts): a
// waiting connection is waiting for a token of staging's bucket or for its
// socket to drain, so they are retried every SHADOW_FLUSH_MS while any waits,
// and the interval stops when none does (an idle mirror sets no timer).
import type { Clock, TimerHandle } from "../ops/clock.js";

/** How often folded patches are retried, ms (a token of staging's 20/s bucket every 50 ms). */
export const SHADOW_FLUSH_MS = 25;

/** What waits: flush() sends what it can and says whether nothing waits any more. */
export interface Flushable {
  flush(): boolean;
}

export interface FlushQueue<T extends Flushable> {
  add(item: T): void;
  delete(item: T): void;
  /** Forgets every item and stops the interval; later adds are ignored. */
  close(): void;
  readonly size: number;
}

export function createFlushQueue<T extends Flushable>(clock: Clock): FlushQueue<T> {
  const waiting = new Set<T>();
  let timer: TimerHandle | undefined;
  let closed = false;
  const stop = (): void => {
    if (timer !== undefined) clock.clearInterval(timer);
    timer = undefined;
  };
  const flushAll = (): void => {
    for (const item of waiting) if (item.flush()) waiting.delete(item);
    if (waiting.size === 0) stop();
  };
  return {
    add(item) {
      if (closed) return;
      waiting.add(item);
      timer ??= clock.setInterval(flushAll, SHADOW_FLUSH_MS);
    },
    delete(item) {
      waiting.delete(item);
    },
    close() {
      closed = true;
      stop();
      waiting.clear();
    },
    get size() {
      return waiting.size;
    },
  };
}
