// Own appends of every room flush together once per event-loop turn: one stream
// entry per room per turn ("a batch of one flush", docs/SCALING.md#pod-and-redis-the-rules),
// sent in one pipelined write. setImmediate, not a clock timer: this is "after the
// current turn", not a time, so a fake clock has nothing to drive here.

export interface TurnFlush<T> {
  /** Flushes `item` at the end of this turn. */
  request(item: T): void;
  /** Forgets `item` (it went away before the turn ended). */
  drop(item: T): void;
  /** Flushes now what is waiting (close). */
  flushNow(): void;
}

export function createTurnFlush<T>(flushOne: (item: T) => void): TurnFlush<T> {
  const dirty = new Set<T>();
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    for (const item of dirty) flushOne(item);
    dirty.clear();
  };
  return {
    request(item) {
      dirty.add(item);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    drop: (item) => void dirty.delete(item),
    flushNow() {
      if (scheduled) flush();
    },
  };
}
