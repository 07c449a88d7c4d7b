// Own entries of one room waiting for the next flush (one stream entry per room
// per event-loop turn, docs/SCALING.md#pod-and-redis-the-rules), with what the
// append script must write beside them: connections to mark seen and states to
// store (enters), and connections whose state and last-seen go (leaves). A later
// entry of the same connection in the same turn wins.
import type { BatchEntry, PeerState } from "@collabblocks/protocol";
import type { VersionTracker } from "./version-tracker.js";

/** One flush: the stream entry's entries and the state changes that ride with it. */
export interface OutboxBatch {
  readonly entries: readonly BatchEntry[];
  readonly seen: readonly string[];
  readonly states: readonly PeerState[];
  readonly gone: readonly string[];
}

export interface RoomOutbox {
  /** Queues an own entry; `entered`: its (shifted) state to store; `gone`: a connection that left. */
  queue(entry: BatchEntry, entered?: PeerState, gone?: string): void;
  /** Everything queued, emptying the outbox; undefined when nothing is. */
  take(): OutboxBatch | undefined;
}

export function createRoomOutbox(versions: VersionTracker): RoomOutbox {
  let entries: BatchEntry[] = [];
  const seen = new Set<string>();
  const states = new Map<string, PeerState>();
  const removed = new Set<string>();
  return {
    queue(entry, entered, gone) {
      versions.observe(entry);
      entries.push(entry);
      if (entered) {
        removed.delete(entered.connectionId);
        seen.add(entered.connectionId);
        states.set(entered.connectionId, entered);
      }
      if (gone !== undefined) {
        seen.delete(gone);
        states.delete(gone);
        removed.add(gone);
      }
    },
    take() {
      if (entries.length === 0 && removed.size === 0) return undefined;
      const batch: OutboxBatch = {
        entries,
        seen: [...seen],
        states: [...states.values()],
        gone: [...removed],
      };
      entries = [];
      seen.clear();
      states.clear();
      removed.clear();
      return batch;
    },
  };
}
