// Applies results in the order their work was pushed, even when later work finishes first.
//
// Encrypted presence makes sending and receiving asynchronous (WebCrypto returns promises):
// without this, a patch that encrypts or decrypts quickly could overtake an earlier one and
// leave peers on the older value. One queue per direction and room, rather than one promise
// chain per peer: a room's inbound messages (batches, snapshot chunks, SNAPSHOT_DONE) must keep
// their relative order too, which per-peer chains cannot give. The work itself still runs
// concurrently (decryption starts on arrival); only applying waits for its turn.

export interface SerialQueue {
  /**
   * Applies `work`'s value after everything pushed before it. Synchronous when the queue is
   * idle and `work` is not a promise, so rooms without sealed fields see no added latency.
   */
  push<T>(work: T | Promise<T>, apply: (value: T) => void): void;
  /** True when nothing waits. */
  readonly idle: boolean;
  /** Drops what was pushed so far (its results are for a connection that is gone). */
  reset(): void;
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

/** `onError` receives a rejected work's reason or an error thrown by an asynchronous `apply`. */
export function createSerialQueue(onError: (err: unknown) => void): SerialQueue {
  let tail: Promise<void> = Promise.resolve();
  let waiting = 0;
  let generation = 0;

  return {
    push(work, apply) {
      if (waiting === 0 && !isPromise(work)) {
        apply(work);
        return;
      }
      // Mark the work handled now: it may reject while earlier items are still in line, and an
      // unobserved rejection would be reported as unhandled although the chain awaits it below.
      if (isPromise(work)) work.catch(() => {});
      const mine = generation;
      waiting++;
      tail = tail.then(async () => {
        try {
          const value = await work;
          if (mine === generation) apply(value);
        } catch (err) {
          if (mine === generation) onError(err);
        } finally {
          waiting--;
        }
      });
    },
    get idle() {
      return waiting === 0;
    },
    reset() {
      generation++;
    },
  };
}
