// Reads one room's stream for this pod's consumer group, driven by wake-ups.
// Wake-ups arriving while a read is in flight merge into one more read; a full
// batch reads again at once; a catch-up first drains the pending list (entries
// delivered to this pod but not acknowledged, from id 0) and then reads new ones;
// so does the first read after a failed one.
// The read itself (XREADGROUP, apply, XACK) is injected, so this logic is tested
// without Redis.

import { systemClock } from "../../ops/clock.js";

/** Entries per XREADGROUP (COUNT). */
export const READ_BATCH = 100;

export interface ReadResult {
  /** Stream entries returned. */
  readonly count: number;
  /** Id of the last entry returned (to page through the pending list). */
  readonly lastId: string | undefined;
}

export interface RoomReaderOptions {
  /** XREADGROUP from `id` ("0…" = own pending entries after it, ">" = new), apply, XACK. */
  readonly read: (id: string) => Promise<ReadResult>;
  readonly onError: (err: unknown) => void;
  readonly batch?: number;
  /** Time of lastReadAt, ms (room-sync.ts passes its Clock's; default the system clock). */
  readonly now?: () => number;
}

export interface RoomReader {
  /** A wake-up: read new entries now (merged with a read in flight). */
  wake(): void;
  /** Re-read own pending entries, then new ones (after start or a re-subscribe). */
  catchUp(): void;
  /** Time (the `now` option) of the last completed read, ms (0 = never). */
  readonly lastReadAt: number;
  /** The last read failed (the bus retries on its next tick). */
  readonly failed: boolean;
  /** Stops reading (room left); a read in flight finishes but does not loop. */
  stop(): void;
}

export function createRoomReader(options: RoomReaderOptions): RoomReader {
  const batch = options.batch ?? READ_BATCH;
  const now = options.now ?? systemClock.now;
  let running = false;
  let again = false;
  let pendingFirst = false;
  let stopped = false;
  let failed = false;
  let lastReadAt = 0;

  const run = async (): Promise<void> => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      while (!stopped) {
        again = false;
        if (pendingFirst) {
          let cursor = "0";
          for (;;) {
            const r = await options.read(cursor);
            if (r.count < batch || r.lastId === undefined) break;
            cursor = r.lastId;
          }
          pendingFirst = false;
        }
        const r = await options.read(">");
        lastReadAt = now();
        failed = false;
        if (r.count < batch && !again) break;
      }
    } catch (err) {
      failed = true;
      // A read that timed out may still run on Redis later: its entries then sit in
      // this consumer's pending list, delivered but never applied. Re-read it first.
      pendingFirst = true;
      options.onError(err);
    } finally {
      running = false;
    }
  };

  return {
    wake() {
      void run();
    },
    catchUp() {
      pendingFirst = true;
      void run();
    },
    get lastReadAt() {
      return lastReadAt;
    },
    get failed() {
      return failed;
    },
    stop() {
      stopped = true;
    },
  };
}
