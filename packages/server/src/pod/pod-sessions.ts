// An edge session leaving a room or the pod (docs/ARCHITECTURE.md#data-flow-split-mode).
// With a bus its connections are released and expire through the bus's sweeper
// unless the edge re-asserts them (on this or another pod) first: a stream lost to
// a network blip, or a room moved by split-mode failover, must not expire live
// connections (an `expired` floor would then hide their re-assert, which carries
// the same version). Without a bus nobody sweeps: they expire now (no tombstone,
// a reconnect brings them back).
import type { BatchEntry } from "@collabblocks/protocol";
import type { PresenceBus } from "../bus/bus.js";
import { type PodSessionState, writeFromEdge } from "./pod-fanout.js";
import type { PresenceManager } from "./presence-manager.js";
import type { PresenceShard } from "./presence-shard.js";

/**
 * Stops keeping a session's connections of a room alive: they are no longer this
 * pod's. The touch tells the bus what the pod still owns (it forgets the rest), so
 * the bus's sweeper expires them within ~3 s unless another pod re-asserts them.
 */
export function releaseConnections(
  bus: PresenceBus | undefined,
  session: PodSessionState,
  shard: PresenceShard,
): void {
  let released = false;
  for (const [cid, owner] of shard.owners) {
    if (owner !== session) continue;
    shard.owners.delete(cid);
    released = true;
  }
  if (released) bus?.touch(shard.roomId, [...shard.owners.keys()]);
}

/** Without a bus: `expired` leaves for the session's connections of a room, written as the session's. */
function expireNow(session: PodSessionState, shard: PresenceShard): void {
  const leaves: BatchEntry[] = [];
  for (const [cid, owner] of shard.owners) {
    if (owner !== session) continue;
    const peer = shard.replica.get(cid);
    if (peer) {
      leaves.push({
        kind: "leave",
        connectionId: cid,
        epoch: peer.epoch,
        clock: peer.clock,
        reason: "expired",
      });
    } else shard.owners.delete(cid);
  }
  if (leaves.length > 0) writeFromEdge(undefined, session, shard, leaves);
}

/** An edge went away: detach it everywhere and release (bus) or expire (no bus) its connections. */
export function closeSession(
  bus: PresenceBus | undefined,
  manager: PresenceManager,
  sessions: Set<PodSessionState>,
  session: PodSessionState,
): void {
  if (!session.open) return;
  session.open = false;
  sessions.delete(session);
  for (const shard of manager.shards()) {
    shard.sessions.delete(session);
    if (bus) releaseConnections(bus, session, shard);
    else expireNow(session, shard);
  }
  manager.trim();
}
