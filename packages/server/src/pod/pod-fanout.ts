// How the pod moves a room's entries (docs/ARCHITECTURE.md#data-flow-split-mode):
// applies them to the room's authoritative replica, forwards what changed it to
// the attached edges (never back to the writing one), and shares an edge's writes
// with other pods through the bus. The local path never waits on the bus.
import type { BatchEntry, RelayedMessage } from "@collabblocks/protocol";
import type { PresenceBus } from "../bus/bus.js";
import type { PodFrame } from "../link/frames.js";
import type { PresenceShard, ShardSession } from "./presence-shard.js";

/** An edge's session as the pod keeps it. */
export interface PodSessionState extends ShardSession {
  readonly send: (frame: PodFrame) => void;
  readonly rooms: Set<string>;
  open: boolean;
}

/** Sends entries to every session attached to the room but `except`. */
/** EVENT or PEER_LOST (PROTOCOL.md §9) to the room's edges but the one it came from; never stored. */
export function relayToEdges(shard: PresenceShard, event: RelayedMessage, except?: PodSessionState): void {
  const frame: PodFrame = { type: "event", roomId: shard.roomId, event };
  for (const s of shard.sessions) if (s !== except) (s as PodSessionState).send(frame);
}

export function forward(
  shard: PresenceShard,
  entries: readonly BatchEntry[],
  except?: PodSessionState,
): void {
  if (entries.length === 0) return;
  const frame: PodFrame = { type: "update", roomId: shard.roomId, entries };
  for (const s of shard.sessions) if (s !== except) (s as PodSessionState).send(frame);
}

/** Applies entries; returns those that changed the replica (or revealed a gap, for the edges to resync). */
export function applyAll(shard: PresenceShard, entries: readonly BatchEntry[]): BatchEntry[] {
  const applied: BatchEntry[] = [];
  for (const e of entries) {
    if (shard.replica.apply(e).kind !== "stale") applied.push(e);
  }
  return applied;
}

/** Other pods' entries: an expiry of a connection this pod still holds is not applied (it is re-asserted instead). */
export function applyFromBus(shard: PresenceShard, entries: readonly BatchEntry[]): void {
  // Its socket is alive, and it is re-asserted to the other pods (scaled mode) rather than dropped.
  const foreign = entries.filter((e) => !(e.kind === "leave" && shard.owners.has(e.connectionId)));
  forward(shard, applyAll(shard, foreign));
}

/** An edge's writes: ownership, the replica, the other edges, and the bus. */
export function writeFromEdge(
  bus: PresenceBus | undefined,
  session: PodSessionState,
  shard: PresenceShard,
  entries: readonly BatchEntry[],
): void {
  for (const e of entries) {
    if (e.kind === "enter") shard.owners.set(e.connectionId, session);
    else if (e.kind === "leave" && shard.owners.get(e.connectionId) === session)
      shard.owners.delete(e.connectionId);
  }
  const applied = applyAll(shard, entries);
  forward(shard, applied, session);
  // A stale enter is shared too: it is an edge re-asserting its connection after the
  // room moved to this pod (split-mode failover), and the bus must learn that this pod
  // now owns it (keeps it alive); for other replicas it is a harmless duplicate.
  const shared =
    applied.length === entries.length
      ? applied
      : entries.filter((e) => e.kind === "enter" || applied.includes(e));
  if (shared.length > 0) bus?.publish(shard.roomId, shared);
}
