// Coalescing of batch entries per connection (PROTOCOL.md §5: "coalescing several
// patches of one connection into one update is always safe"). Used by the room's
// pending queue and by a slow socket's private backlog: whatever piles up for one
// connection collapses to its newest meaning, so a backlog is bounded by the
// number of connections, not by the number of updates.
import {
  applyPatch,
  assertNever,
  type BatchEntry,
  composePatches,
  type Version,
} from "@collabblocks/protocol";

/** Version after an entry; a `left` leave kills its whole epoch. */
function versionAfter(e: BatchEntry): Version {
  if (e.kind === "leave" && e.reason === "left") return { epoch: e.epoch, clock: Number.POSITIVE_INFINITY };
  return e;
}

function notNewer(b: Version, a: Version): boolean {
  return b.epoch < a.epoch || (b.epoch === a.epoch && b.clock <= a.clock);
}

/**
 * Merges `b` (arrived later) into `a` (same connection). Returns the single entry
 * equivalent to applying both, `a` when `b` is stale against it, or undefined when
 * they cannot be merged (an update that does not connect to `a`): keep both.
 */
export function mergeEntries(a: BatchEntry, b: BatchEntry): BatchEntry | undefined {
  const va = versionAfter(a);
  switch (b.kind) {
    case "enter":
      return notNewer(b, va) ? a : b;
    case "leave":
      if (b.epoch < a.epoch) return a;
      if (b.reason === "expired" && b.epoch === va.epoch && b.clock < va.clock) return a;
      return b;
    case "update": {
      if (notNewer(b, va)) return a;
      if (a.kind === "leave" || b.epoch !== a.epoch || b.base > a.clock) return undefined;
      if (a.kind === "enter") return { ...a, clock: b.clock, state: applyPatch(a.state, b) };
      const patch = composePatches(a, b);
      return { ...a, clock: b.clock, set: patch.set, del: patch.del };
    }
    default:
      return assertNever(b);
  }
}

/** Pending entries per connection, in arrival order of the connections. */
export type EntryQueue = Map<string, BatchEntry[]>;

/** Adds one entry to a queue, merging it with that connection's last pending entry. Returns 1 if it grew. */
export function enqueueEntry(queue: EntryQueue, entry: BatchEntry): number {
  const list = queue.get(entry.connectionId);
  if (list === undefined) {
    queue.set(entry.connectionId, [entry]);
    return 1;
  }
  const last = list[list.length - 1]!;
  const merged = mergeEntries(last, entry);
  if (merged === undefined) {
    list.push(entry);
    return 1;
  }
  list[list.length - 1] = merged;
  return 0;
}

/** Flattens a queue into a batch's entry list. */
export function drainQueue(queue: EntryQueue): BatchEntry[] {
  const out: BatchEntry[] = [];
  for (const list of queue.values()) for (const e of list) out.push(e);
  queue.clear();
  return out;
}
