// A replica of a room's presence: the rules of PROTOCOL.md §5 as a pure data structure
// (no I/O, no timers). Pods, edges and SDKs all keep one.
//
// Per connection it holds (epoch, clock, state). It also keeps a *floor* per
// connection that is gone: a version at or below which nothing may bring it back.
//   - `left`    → floor (epoch, ∞): that epoch is dead; only a higher epoch returns.
//   - `expired` → floor (epoch, clock): a fresher re-assert (higher clock or epoch) returns.
//   - removed because absent from a snapshot → like expired, at the version we had.
// Floors are bounded (oldest dropped first): a floor only guards against
// reordered messages, which arrive soon or never.
import { jsonEqual } from "./json.js";
import {
  assertNever,
  type ClientBatchEntry,
  type EnterEntry,
  type LeaveEntry,
  type PeerState,
  type UpdateEntry,
} from "./messages.js";
import { applyPatch, compareVersions } from "./patch.js";
import type { Version } from "./presence-types.js";

/** Floors kept per replica before the oldest are dropped. */
export const MAX_FLOORS = 10_000;

export type ApplyOutcome =
  /** The entry changed the replica (`enter` also when it replaced a known connection). */
  | { readonly kind: "entered"; readonly peer: PeerState; readonly previous: PeerState | undefined }
  | { readonly kind: "updated"; readonly peer: PeerState; readonly previous: PeerState }
  | { readonly kind: "left"; readonly previous: PeerState; readonly reason: LeaveEntry["reason"] }
  /** Out of this client's view (still in the room): forgotten without a floor. */
  | { readonly kind: "hidden"; readonly previous: PeerState }
  /** Not newer than what is known (duplicate, reordered, or below a floor): dropped. */
  | { readonly kind: "stale" }
  /** Something before it is missing: the replica needs a resync of this connection. */
  | { readonly kind: "gap" };

export type SnapshotChange =
  | { readonly kind: "entered"; readonly peer: PeerState; readonly previous: PeerState | undefined }
  | { readonly kind: "removed"; readonly previous: PeerState };

const STALE: ApplyOutcome = { kind: "stale" };
const GAP: ApplyOutcome = { kind: "gap" };

export class PresenceReplica {
  readonly #peers = new Map<string, PeerState>();
  readonly #floors = new Map<string, Version>();

  get size(): number {
    return this.#peers.size;
  }
  get(connectionId: string): PeerState | undefined {
    return this.#peers.get(connectionId);
  }
  peers(): IterableIterator<PeerState> {
    return this.#peers.values();
  }
  /** Everything known, as snapshot entries. */
  snapshot(): PeerState[] {
    return [...this.#peers.values()];
  }

  apply(entry: ClientBatchEntry): ApplyOutcome {
    switch (entry.kind) {
      case "enter":
        return this.#enter(entry);
      case "update":
        return this.#update(entry);
      case "leave":
        return this.#leave(entry);
      case "hide": {
        const previous = this.forget(entry.connectionId);
        return previous === undefined ? STALE : { kind: "hidden", previous };
      }
      default:
        return assertNever(entry);
    }
  }

  /** Below-or-at the floor of a gone connection? */
  #belowFloor(connectionId: string, v: Version): boolean {
    const floor = this.#floors.get(connectionId);
    return floor !== undefined && compareVersions(v, floor) <= 0;
  }

  #setFloor(connectionId: string, v: Version): void {
    const old = this.#floors.get(connectionId);
    if (old !== undefined && compareVersions(old, v) >= 0) return;
    this.#floors.delete(connectionId); // re-insert: Map order is the eviction order
    this.#floors.set(connectionId, v);
    if (this.#floors.size > MAX_FLOORS) {
      const oldest = this.#floors.keys().next().value as string;
      this.#floors.delete(oldest);
    }
  }

  #enter(e: EnterEntry | PeerState): ApplyOutcome {
    if (this.#belowFloor(e.connectionId, e)) return STALE;
    const previous = this.#peers.get(e.connectionId);
    if (previous && compareVersions(e, previous) <= 0) return STALE;
    const peer: PeerState = {
      connectionId: e.connectionId,
      userId: e.userId,
      info: e.info,
      epoch: e.epoch,
      clock: e.clock,
      state: e.state,
    };
    this.#peers.set(e.connectionId, peer);
    this.#floors.delete(e.connectionId);
    return { kind: "entered", peer, previous };
  }

  #update(u: UpdateEntry): ApplyOutcome {
    if (this.#belowFloor(u.connectionId, u)) return STALE;
    const previous = this.#peers.get(u.connectionId);
    if (!previous) return GAP; // its enter is missing
    if (u.epoch < previous.epoch) return STALE;
    if (u.epoch > previous.epoch) return GAP; // the re-assert of the new epoch is missing
    if (u.clock <= previous.clock) return STALE;
    if (u.base > previous.clock) return GAP;
    // base ≤ known < clock: re-applying the overlap is harmless (last writer per key).
    // Every field by name, not `{ ...previous, … }`: V8 clones a spread into a fresh hidden
    // class and then transitions it for each override, ~10× the cost of a literal (the
    // receive profile, docs/BENCHMARKS.md#receive-cost).
    const peer: PeerState = {
      connectionId: previous.connectionId,
      userId: previous.userId,
      info: previous.info,
      epoch: previous.epoch,
      clock: u.clock,
      state: applyPatch(previous.state, u),
    };
    this.#peers.set(u.connectionId, peer);
    return { kind: "updated", peer, previous };
  }

  #leave(l: LeaveEntry): ApplyOutcome {
    const previous = this.#peers.get(l.connectionId);
    if (l.reason === "left")
      this.#setFloor(l.connectionId, { epoch: l.epoch, clock: Number.POSITIVE_INFINITY });
    else this.#setFloor(l.connectionId, { epoch: l.epoch, clock: l.clock });
    if (!previous) return STALE;
    // A leave of an older epoch, or an expiry older than what we hold, does not remove.
    if (l.epoch < previous.epoch) return STALE;
    if (l.reason === "expired" && compareVersions(l, previous) < 0) return STALE;
    this.#peers.delete(l.connectionId);
    return { kind: "left", previous, reason: l.reason };
  }

  /**
   * Merges a complete snapshot: entries enter (if newer), connections absent from
   * it are removed with an `expired`-style floor, so a delayed old message cannot
   * resurrect them while a fresher one still can.
   */
  applySnapshot(
    entries: readonly PeerState[],
    options: { readonly authoritative?: boolean } = {},
  ): SnapshotChange[] {
    const changes: SnapshotChange[] = [];
    const present = new Set<string>();
    for (const e of entries) present.add(e.connectionId);
    // A client's snapshot comes over the same socket as every entry before it, so it
    // is never older than them: what it holds is present, whatever an earlier
    // snapshot removed (a view that dropped a member and later took it back, at the
    // same version, PROTOCOL.md §8). Floors still stop a stale entry after it.
    if (options.authoritative) for (const id of present) this.#floors.delete(id);
    for (const [id, previous] of this.#peers) {
      if (present.has(id)) continue;
      this.#peers.delete(id);
      this.#setFloor(id, previous);
      changes.push({ kind: "removed", previous });
    }
    for (const e of entries) {
      const outcome = this.#enter(e);
      if (outcome.kind === "entered") changes.push(outcome);
    }
    return changes;
  }

  /** Sets a connection's full state unconditionally (the owner of the connection re-seeding). */
  put(peer: PeerState): void {
    this.#peers.set(peer.connectionId, peer);
    this.#floors.delete(peer.connectionId);
  }

  /** Removes a connection without a floor (evicting local knowledge, not a leave). */
  forget(connectionId: string): PeerState | undefined {
    const previous = this.#peers.get(connectionId);
    this.#peers.delete(connectionId);
    return previous;
  }
}

/** True when two peer states are equal in identity, version and content. */
export function peerStatesEqual(a: PeerState, b: PeerState): boolean {
  return (
    a.connectionId === b.connectionId &&
    a.userId === b.userId &&
    a.epoch === b.epoch &&
    a.clock === b.clock &&
    jsonEqual(a.info, b.info) &&
    jsonEqual(a.state, b.state)
  );
}
