// Writes of one room made in the same event-loop turn go to the pod as one Write
// frame (docs/ARCHITECTURE.md#the-grpc-link-protopresenceproto-rpc), split at
// MAX_ENTRIES_PER_WRITE. Any other frame first flushes what waits, so a room's
// writes and its other frames keep their order. setImmediate, not a clock timer:
// "the end of this turn" is not a time.
import type { BatchEntry } from "@collabblocks/protocol";
import type { EdgeFrame } from "../link/frames.js";

/** Most entries in one Write frame (entries are ≤ ~2.1 KB, so a frame stays ≤ ~210 KB). */
export const MAX_ENTRIES_PER_WRITE = 100;

export interface WriteBatch {
  /** Queues a write frame's entries for the end of the turn. */
  add(frame: Extract<EdgeFrame, { type: "write" }>): void;
  /** Sends what waits now (if `canSend()`), else drops it. */
  flush(): void;
  /** Drops what waits (the stream went down: the edge re-asserts after the reset). */
  clear(): void;
  /** Rooms with writes waiting. */
  readonly rooms: number;
}

export function createWriteBatch(send: (frame: EdgeFrame) => void, canSend: () => boolean): WriteBatch {
  // Per room, in first-write order.
  const writes = new Map<string, BatchEntry[]>();
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (writes.size === 0) return;
    const pending = [...writes];
    writes.clear();
    if (!canSend()) return;
    for (const [roomId, entries] of pending) {
      for (let i = 0; i < entries.length; i += MAX_ENTRIES_PER_WRITE) {
        send({ type: "write", roomId, entries: entries.slice(i, i + MAX_ENTRIES_PER_WRITE) });
      }
    }
  };
  return {
    add(frame) {
      const list = writes.get(frame.roomId);
      if (list) for (const e of frame.entries) list.push(e);
      else writes.set(frame.roomId, [...frame.entries]);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
    clear: () => writes.clear(),
    get rooms() {
      return writes.size;
    },
  };
}
