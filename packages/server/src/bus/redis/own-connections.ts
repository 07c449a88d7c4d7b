// The connections this pod owns in one room, as the Redis bus keeps them: their
// full state (to flush it to the state hash and re-seed it after a FLUSHALL or a
// Redis restart) and their *bump*.
//
// Why a bump: when this pod is cut off from Redis for more than 3 s, another pod
// expires its connections and every other replica keeps an `expired` floor at the
// last version it saw (packages/protocol/src/replica.ts). To bring a connection
// back, the pod must re-assert it with a version above that floor. The edge
// numbers a connection's patches and knows nothing of Redis, so the bus adds the
// bump (+1 per re-assert) to the clock of everything it writes for that
// connection: the re-assert is an `enter` at clock + bump, and later updates keep
// their (base, clock] shape shifted by the same amount, so remote replicas see one
// gap-free sequence. Local replicas never see shifted versions. A new epoch (a
// reconnect) starts again at bump 0. The rejected alternative, asking the edge to
// renumber, would put Redis concerns into the edge and the link protocol.
import { applyPatch, assertNever, type BatchEntry, type PeerState } from "@collabblocks/protocol";

interface Owned {
  /** State and version as the edge numbers it. */
  peer: PeerState;
  bump: number;
  /** Changed since the last state flush. */
  dirty: boolean;
}

/** What recording an own entry means for Redis, besides appending `entry` to the stream. */
export interface OwnEffect {
  /** The entry with the connection's bump applied: what other pods see. */
  readonly entry: BatchEntry;
  /** The connection entered: mark it seen and store its state (shifted) now. */
  readonly entered?: PeerState;
  /** The connection is gone: remove its state and last-seen. */
  readonly removed?: string;
}

export interface OwnConnections {
  readonly size: number;
  has(connectionId: string): boolean;
  ids(): string[];
  /** Records an entry of an own connection (from publish) and returns its Redis effect. */
  record(entry: BatchEntry): OwnEffect;
  /** A fresher `enter` of an own connection (bump + 1), or undefined when it is not owned. */
  reassert(connectionId: string): PeerState | undefined;
  /** The shifted state of every own connection changed since the last call (clears dirty). */
  takeDirty(): PeerState[];
  /** Marks every own connection dirty (its state must be written again). */
  markAllDirty(): void;
  /** Forgets own connections not in `live` (the pod no longer owns them). */
  retain(live: ReadonlySet<string>): void;
}

function shifted(o: Owned): PeerState {
  return o.bump === 0 ? o.peer : { ...o.peer, clock: o.peer.clock + o.bump };
}

export function createOwnConnections(): OwnConnections {
  const owned = new Map<string, Owned>();

  return {
    get size() {
      return owned.size;
    },
    has: (cid) => owned.has(cid),
    ids: () => [...owned.keys()],
    record(entry) {
      const cid = entry.connectionId;
      const o = owned.get(cid);
      switch (entry.kind) {
        case "enter": {
          const { kind: _, ...peer } = entry;
          // Same epoch again (an edge re-asserting after a resync): keep the bump.
          const bump = o && o.peer.epoch === peer.epoch ? o.bump : 0;
          const next: Owned = { peer, bump, dirty: false };
          owned.set(cid, next);
          const out = shifted(next);
          return { entry: { kind: "enter", ...out }, entered: out };
        }
        case "update": {
          if (!o || o.peer.epoch !== entry.epoch) return { entry };
          o.peer = {
            ...o.peer,
            clock: Math.max(o.peer.clock, entry.clock),
            state: applyPatch(o.peer.state, entry),
          };
          o.dirty = true;
          if (o.bump === 0) return { entry };
          return { entry: { ...entry, base: entry.base + o.bump, clock: entry.clock + o.bump } };
        }
        case "leave": {
          if (!o || o.peer.epoch !== entry.epoch) return { entry, removed: o ? undefined : cid };
          owned.delete(cid);
          return { entry: { ...entry, clock: entry.clock + o.bump }, removed: cid };
        }
        default:
          return assertNever(entry);
      }
    },
    reassert(cid) {
      const o = owned.get(cid);
      if (!o) return undefined;
      o.bump++;
      o.dirty = false;
      return shifted(o);
    },
    takeDirty() {
      const out: PeerState[] = [];
      for (const o of owned.values()) {
        if (!o.dirty) continue;
        o.dirty = false;
        out.push(shifted(o));
      }
      return out;
    },
    markAllDirty() {
      for (const o of owned.values()) o.dirty = true;
    },
    retain(live) {
      for (const cid of owned.keys()) if (!live.has(cid)) owned.delete(cid);
    },
  };
}
