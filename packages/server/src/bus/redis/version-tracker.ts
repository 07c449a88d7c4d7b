// The latest version of every connection of one room as this pod has seen it on
// the bus (own connections with their bump, see own-connections.ts). It exists for
// one reason: the sweeper's `expired` leave must carry the newest version the
// receiving replicas hold, or they would keep the connection (a replica ignores an
// expiry older than what it has, see packages/protocol/src/replica.ts). The state
// hash the sweeper reads is only flushed about once a second, so it can be behind
// the stream. So the sweeper takes the newer of the stored and the tracked
// version, and every receiver lifts an `expired` leave of the same epoch to the
// version it tracks before applying it. The rejected alternative — writing the
// version to Redis with every update — costs a second write per update.
import type { BatchEntry, LeaveEntry, PeerState, Version } from "@collabblocks/protocol";

export interface VersionTracker {
  get(connectionId: string): Version | undefined;
  /** Notes an entry that is about to be applied (or was written by this pod). */
  observe(entry: BatchEntry): void;
  /** Notes a persisted state (join snapshot). */
  observePeer(peer: PeerState): void;
  /**
   * An `expired` leave lifted to the tracked version when that is newer in the same
   * epoch; a leave of epoch 0 (the sweeper knew no version) takes the tracked one.
   */
  liftExpiry(leave: LeaveEntry): LeaveEntry;
  readonly size: number;
}

function newer(a: Version, b: Version): boolean {
  return a.epoch !== b.epoch ? a.epoch > b.epoch : a.clock > b.clock;
}

export function createVersionTracker(): VersionTracker {
  const versions = new Map<string, Version>();

  const note = (cid: string, v: Version): void => {
    const known = versions.get(cid);
    if (!known || newer(v, known)) versions.set(cid, { epoch: v.epoch, clock: v.clock });
  };

  return {
    get: (cid) => versions.get(cid),
    observe(e) {
      if (e.kind === "leave") {
        const known = versions.get(e.connectionId);
        // Only a leave at least as new as what we know ends the connection's record.
        if (known && (known.epoch < e.epoch || (known.epoch === e.epoch && known.clock <= e.clock)))
          versions.delete(e.connectionId);
        return;
      }
      note(e.connectionId, e);
    },
    observePeer(peer) {
      note(peer.connectionId, peer);
    },
    liftExpiry(leave) {
      if (leave.reason !== "expired") return leave;
      const known = versions.get(leave.connectionId);
      if (!known) return leave;
      if (leave.epoch === 0 || (known.epoch === leave.epoch && known.clock > leave.clock)) {
        return { ...leave, epoch: known.epoch, clock: known.clock };
      }
      return leave;
    },
    get size() {
      return versions.size;
    },
  };
}
