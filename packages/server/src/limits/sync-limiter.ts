// SyncRequest rate limit per stream (docs/ARCHITECTURE.md#the-grpc-link-protopresenceproto-rpc). A snapshot is the most expensive
// thing an edge can ask a pod for (a 5 000-presence room is ~0.5 MB to encode and
// send), and an edge asks for one per room at attach, after a gap and after a
// failover, when hundreds may come at once. Requests beyond the token bucket are
// not refused (the edge would wait forever for a done frame that never comes):
// they wait their turn in a bounded FIFO, served as tokens refill. An edge that
// queues more than the bound is misbehaving and loses its stream.
import { createTokenBucket, type TokenBucketSpec, takeToken } from "./token-bucket.js";

/** Default snapshots served per second per stream, and the burst after idling. */
export const DEFAULT_SYNC_RATE: TokenBucketSpec = { ratePerSecond: 200, burst: 500 };
/** Default bound of waiting requests per stream. */
export const DEFAULT_MAX_WAITING_SYNCS = 20_000;

export interface SyncLimiterTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface SyncLimiterOptions {
  readonly rate?: TokenBucketSpec;
  readonly maxWaiting?: number;
  /** Monotonic clock, ms. */
  readonly now?: () => number;
  readonly timers?: SyncLimiterTimers;
}

export interface SyncLimiter {
  /** Runs `task` now if a token is free, else later in arrival order; false when the queue is full. */
  submit(task: () => void): boolean;
  readonly waiting: number;
  close(): void;
}

const NODE_TIMERS: SyncLimiterTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export function createSyncLimiter(options: SyncLimiterOptions = {}): SyncLimiter {
  const rate = options.rate ?? DEFAULT_SYNC_RATE;
  if (!(rate.ratePerSecond > 0) || !(rate.burst >= 1))
    throw new RangeError("sync rate must be > 0, burst ≥ 1");
  const maxWaiting = options.maxWaiting ?? DEFAULT_MAX_WAITING_SYNCS;
  const now = options.now ?? (() => performance.now());
  const timers = options.timers ?? NODE_TIMERS;
  const bucket = createTokenBucket(rate, now());
  let queue: Array<() => void> = [];
  let head = 0;
  let timer: unknown;
  let closed = false;

  const drain = (): void => {
    timer = undefined;
    if (closed) return;
    while (head < queue.length && takeToken(bucket, rate, now())) {
      const task = queue[head]!;
      queue[head] = () => {};
      head++;
      task();
    }
    if (head === queue.length) {
      queue = [];
      head = 0;
    } else schedule();
  };

  const schedule = (): void => {
    if (timer !== undefined) return;
    const handle = timers.setTimeout(drain, Math.max(1, Math.ceil(1000 / rate.ratePerSecond)));
    (handle as { unref?: () => void }).unref?.();
    timer = handle;
  };

  return {
    submit(task) {
      if (closed) return true;
      if (head === queue.length && takeToken(bucket, rate, now())) {
        task();
        return true;
      }
      if (queue.length - head >= maxWaiting) return false;
      queue.push(task);
      schedule();
      return true;
    },
    get waiting() {
      return queue.length - head;
    },
    close() {
      closed = true;
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
      queue = [];
      head = 0;
    },
  };
}
