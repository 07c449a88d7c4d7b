// Which stream entries this pod already applied from their wake-up message, so
// the (later, lazy) XREADGROUP that acknowledges them does not apply them twice,
// and which wake-ups arrive after a read already delivered their entry.
//
// Why: a wake-up carries the entry's payload when it is small, and the pod applies
// it at once — one Redis round trip and two process wake-ups less than reading the
// stream first, which is most of the added cross-process latency on a busy host.
// The stream stays the source of truth: it is still read (lazily) and acknowledged,
// so a lost wake-up costs a short delay, never an update.
// Stream ids are "<ms>-<seq>" and grow; both wake-ups (pub/sub keeps order) and
// reads arrive in id order, so a queue suffices.

/** Negative if stream id a < b, 0 if equal, positive if a > b. */
export function compareStreamIds(a: string, b: string): number {
  const [am = "0", as = "0"] = a.split("-");
  const [bm = "0", bs = "0"] = b.split("-");
  const dm = Number(am) - Number(bm);
  return dm !== 0 ? dm : Number(as) - Number(bs);
}

/** Ids remembered at most (a pod that cannot read for long forgets the oldest: they are applied again, harmlessly). */
export const MAX_APPLIED_WAKES = 10_000;

export interface WakeLedger {
  /** A wake-up for `id` arrived: false when a read already delivered it (ignore the payload). */
  isNew(id: string): boolean;
  /** The entry `id` was fully applied from its wake-up. */
  applied(id: string): void;
  /** A read returned `id` (in order): true when it was applied from its wake-up already (skip it). */
  read(id: string): boolean;
  readonly size: number;
}

export function createWakeLedger(max = MAX_APPLIED_WAKES): WakeLedger {
  const queue: string[] = [];
  let head = 0;
  let lastRead = "0-0";

  const compact = (): void => {
    if (head > 1024 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
  };

  return {
    isNew: (id) => compareStreamIds(id, lastRead) > 0,
    applied(id) {
      queue.push(id);
      if (queue.length - head > max) head++;
      compact();
    },
    read(id) {
      if (compareStreamIds(id, lastRead) > 0) lastRead = id;
      // Applied ids older than this read were trimmed or acknowledged elsewhere: drop them.
      while (head < queue.length && compareStreamIds(queue[head]!, id) < 0) head++;
      const skip = head < queue.length && queue[head] === id;
      if (skip) head++;
      compact();
      return skip;
    },
    get size() {
      return queue.length - head;
    },
  };
}
