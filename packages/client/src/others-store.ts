// The room as this client sees it: a PresenceReplica (the protocol's rules, PROTOCOL.md §5)
// plus what apps read — `User` objects and the `others` array, both cached so they
// keep their identity while nothing about them changed.
//
// After a reconnect, peers missing from the fresh join snapshot *linger*: they are
// most likely reconnecting too (a server restart drops everyone at once) and will
// re-enter soon. They stay listed until they re-appear or their deadline passes,
// so a restart shows no leave/enter flicker.
//
// A peer the server says dropped (PEER_LOST, PROTOCOL.md §9) is shown with
// `reconnecting: true` until an entry of a newer epoch (it came back), its leave
// or a snapshot: a lost notice is live-only, so a snapshot cannot confirm it.
import {
  type ApplyOutcome,
  type ClientBatchEntry,
  jsonEqual,
  type PeerState,
  PresenceReplica,
  setOwn,
} from "@collabblocks/protocol";
import type { OthersEvent, User } from "./types.js";

interface Visible<P extends object> {
  peer: PeerState;
  user: User<P>;
  reconnecting: boolean;
}

export interface OthersStore<P extends object> {
  /** Applies a live entry. Returns the replica's outcome and what changed for apps. */
  apply(entry: ClientBatchEntry): { outcome: ApplyOutcome; events: OthersEvent<P>[] };
  /**
   * Merges a complete snapshot. With `lingerUntil`, known peers it lacks stay
   * listed until that time (join after a reconnect); otherwise they are removed.
   * Peers already lingering keep their deadline unless the snapshot has them.
   */
  applySnapshot(entries: readonly PeerState[], lingerUntil?: number): OthersEvent<P>[];
  /** A peer dropped (PEER_LOST): shown as reconnecting while the held entry is of that epoch. */
  markLost(connectionId: string, epoch: number): OthersEvent<P>[];
  /** Forgets everyone (lost connection). */
  clear(): OthersEvent<P>[];
  /** Removes lingering peers whose deadline is ≤ now. */
  expireLingering(now: number): OthersEvent<P>[];
  /** Earliest lingering deadline, if any. */
  nextLingerDeadline(): number | undefined;
  /** The server's view of this connection (from snapshots and echoes). */
  self(): PeerState | undefined;
  getOthers(): readonly User<P>[];
  getOther(connectionId: string): User<P> | undefined;
}

const EMPTY: readonly never[] = Object.freeze([]);

export function toUser<P extends object>(peer: PeerState, reconnecting = false): User<P> {
  // A key loop, not `{ ...peer.state }` plus three assignments: the spread's clone gets a
  // hidden class the assignments then transition, ~40× slower per received update
  // (docs/BENCHMARKS.md#receive-cost).
  const user: Record<string, unknown> = {};
  const state = peer.state;
  for (const key of Object.keys(state)) setOwn(user, key, state[key]);
  user.connectionId = peer.connectionId;
  user.userId = peer.userId;
  if (peer.info !== undefined) user.info = peer.info;
  if (reconnecting) user.reconnecting = true;
  return Object.freeze(user) as User<P>;
}

/** Same as far as apps can tell (the version may differ: a reconnect is not a change). */
function sameContent(a: PeerState, b: PeerState): boolean {
  return (
    a.userId === b.userId &&
    (a.state === b.state || jsonEqual(a.state, b.state)) &&
    (a.info === b.info || jsonEqual(a.info, b.info))
  );
}

export function createOthersStore<P extends object>(selfId: () => string): OthersStore<P> {
  let replica = new PresenceReplica();
  const lingering = new Map<string, { peer: PeerState; until: number }>();
  const visible = new Map<string, Visible<P>>();
  /** connectionId → the epoch the server said dropped. */
  const lost = new Map<string, number>();
  let array: readonly User<P>[] = EMPTY;
  /** Someone entered or left since `array` was built: rebuild it whole. */
  let arrayDirty = false;
  /**
   * Only updates since `array` was built: a copy with these users swapped in at `index` is
   * enough, instead of a pass over the Map (docs/BENCHMARKS.md#receive-cost).
   */
  const replaced = new Map<string, User<P>>();
  const index = new Map<string, number>();

  /** Recomputes one connection's visible entry; pushes the app-level event, if any. */
  function refresh(cid: string, events: OthersEvent<P>[], leaveReason: "left" | "expired" | "hidden"): void {
    if (cid === selfId()) return;
    const peer = replica.get(cid) ?? lingering.get(cid)?.peer;
    const before = visible.get(cid);
    const lostEpoch = lost.get(cid);
    if (lostEpoch !== undefined && (peer === undefined || peer.epoch > lostEpoch)) lost.delete(cid);
    const reconnecting = peer !== undefined && lost.get(cid) === peer.epoch;
    if (peer === undefined) {
      if (before === undefined) return;
      visible.delete(cid);
      arrayDirty = true;
      events.push({ type: "leave", user: before.user, reason: leaveReason });
      return;
    }
    if (before === undefined) {
      const user = toUser<P>(peer, reconnecting);
      visible.set(cid, { peer, user, reconnecting });
      arrayDirty = true;
      events.push({ type: "enter", user });
      return;
    }
    if (before.peer === peer && before.reconnecting === reconnecting) return;
    if (before.reconnecting === reconnecting && sameContent(before.peer, peer)) {
      before.peer = peer; // newer version, same content: keep the User object
      return;
    }
    const user = toUser<P>(peer, reconnecting);
    const previous = before.user;
    before.peer = peer; // same Map entry: `visible`'s order, and so the array's, is unchanged
    before.user = user;
    before.reconnecting = reconnecting;
    if (!arrayDirty) replaced.set(cid, user);
    events.push({ type: "update", user, previous });
  }

  /** Applies a whole-room change; reports one `reset` if anything changed. */
  function bulk(change: () => void): OthersEvent<P>[] {
    const before = new Set(visible.keys());
    change();
    const events: OthersEvent<P>[] = [];
    for (const cid of before) refresh(cid, events, "expired");
    for (const peer of replica.peers()) refresh(peer.connectionId, events, "expired");
    for (const cid of lingering.keys()) refresh(cid, events, "expired");
    return events.length > 0 ? [{ type: "reset" }] : [];
  }

  return {
    apply(entry) {
      const outcome = replica.apply(entry);
      const events: OthersEvent<P>[] = [];
      const cid = entry.connectionId;
      const lingered = lingering.get(cid);
      if (lingered !== undefined) {
        // Re-appeared (enter), left for good, or out of view: either way it no longer lingers.
        if (
          outcome.kind === "entered" ||
          entry.kind === "hide" ||
          (entry.kind === "leave" && entry.epoch >= lingered.peer.epoch)
        ) {
          lingering.delete(cid);
        }
      }
      const reason = entry.kind === "leave" ? entry.reason : entry.kind === "hide" ? "hidden" : "expired";
      if (outcome.kind !== "stale" && outcome.kind !== "gap") {
        refresh(cid, events, reason);
      } else if (lingered !== undefined && !lingering.has(cid)) {
        refresh(cid, events, reason);
      }
      return { outcome, events };
    },
    applySnapshot(entries, lingerUntil) {
      return bulk(() => {
        lost.clear();
        const changes = replica.applySnapshot(entries, { authoritative: true });
        for (const change of changes) {
          const cid = change.kind === "removed" ? change.previous.connectionId : change.peer.connectionId;
          if (change.kind === "removed" && lingerUntil !== undefined && cid !== selfId()) {
            lingering.set(cid, { peer: change.previous, until: lingerUntil });
          } else {
            lingering.delete(cid);
          }
        }
      });
    },
    markLost(connectionId, epoch) {
      const peer = replica.get(connectionId);
      if (peer === undefined || peer.epoch !== epoch || lost.get(connectionId) === epoch) return [];
      lost.set(connectionId, epoch);
      const events: OthersEvent<P>[] = [];
      refresh(connectionId, events, "expired");
      return events;
    },
    clear() {
      return bulk(() => {
        replica = new PresenceReplica();
        lingering.clear();
        lost.clear();
      });
    },
    expireLingering(now) {
      const events: OthersEvent<P>[] = [];
      for (const [cid, l] of lingering) {
        if (l.until > now) continue;
        lingering.delete(cid);
        refresh(cid, events, "expired");
      }
      return events;
    },
    nextLingerDeadline() {
      let next: number | undefined;
      for (const l of lingering.values()) if (next === undefined || l.until < next) next = l.until;
      return next;
    },
    self() {
      return replica.get(selfId());
    },
    getOthers() {
      if (arrayDirty) {
        const next: User<P>[] = [];
        index.clear();
        for (const [cid, v] of visible) {
          index.set(cid, next.length);
          next.push(v.user);
        }
        array = next.length === 0 ? EMPTY : Object.freeze(next);
        arrayDirty = false;
        replaced.clear();
      } else if (replaced.size > 0) {
        const next = array.slice();
        for (const [cid, user] of replaced) next[index.get(cid)!] = user;
        array = Object.freeze(next);
        replaced.clear();
      }
      return array;
    },
    getOther(connectionId) {
      return visible.get(connectionId)?.user;
    },
  };
}
