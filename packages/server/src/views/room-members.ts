// What views need to know about a room's members (local and remote alike): who
// they are, when they were last active, their join order (the roster sample) and
// where they are, indexed per position field. Fed from the room replica's changes;
// never scans the room except once when a field is first indexed.
import { type PeerState, positionOf } from "@collabblocks/protocol";
import { createGridIndex, type GridIndex } from "./grid-index.js";
import { entryOf } from "./map-entry.js";

/** Roster entries kept in join order: the largest roster a view may ask for. */
export const ROSTER_KEPT = 100;

export interface Member {
  readonly cid: string;
  readonly userId: string;
  /** Clock time of its last change (enter or update), ms. */
  lastActive: number;
  /** Clock time it entered the room, ms. */
  readonly joinedAt: number;
}

export interface RoomMembers {
  readonly size: number;
  /** Distinct users in the room. */
  readonly users: number;
  get(cid: string): Member | undefined;
  /** Connections of a user in the room. */
  connectionsOf(userId: string): ReadonlySet<string> | undefined;
  /** The first `k` members by join order (k ≤ ROSTER_KEPT). */
  roster(k: number): readonly string[];
  /** Join rank, 0-based, when among the first ROSTER_KEPT; else undefined. */
  rosterRank(cid: string): number | undefined;
  /** The members' positions in `field`, indexed (created on first use with the given cell size). */
  index(field: string, cellSize: number): GridIndex<string>;
  /** An entered or changed member (its state after the change). Returns true when the roster changed. */
  upsert(peer: PeerState, now: number): boolean;
  /** A member gone. Returns true when the roster changed. */
  remove(cid: string): boolean;
  all(): IterableIterator<Member>;
}

export function createRoomMembers(stateOf: (cid: string) => PeerState | undefined): RoomMembers {
  const members = new Map<string, Member>();
  const byUser = new Map<string, Set<string>>();
  const indexes = new Map<string, GridIndex<string>>();
  let rosterList: string[] = [];
  let rosterRanks = new Map<string, number>();

  function rebuildRoster(): void {
    rosterList = [];
    for (const cid of members.keys()) {
      if (rosterList.length === ROSTER_KEPT) break;
      rosterList.push(cid);
    }
    rosterRanks = new Map(rosterList.map((cid, i) => [cid, i]));
  }

  return {
    get size() {
      return members.size;
    },
    get users() {
      return byUser.size;
    },
    get: (cid) => members.get(cid),
    connectionsOf: (userId) => byUser.get(userId),
    roster: (k) => rosterList.slice(0, k),
    rosterRank: (cid) => rosterRanks.get(cid),
    index(field, cellSize) {
      let index = indexes.get(field);
      if (index === undefined) {
        index = createGridIndex<string>(cellSize);
        indexes.set(field, index);
        for (const cid of members.keys()) {
          const state = stateOf(cid)?.state;
          if (state !== undefined) index.set(cid, positionOf(state, field));
        }
      }
      return index;
    },
    upsert(peer, now) {
      const cid = peer.connectionId;
      for (const [field, index] of indexes) index.set(cid, positionOf(peer.state, field));
      const known = members.get(cid);
      if (known !== undefined) {
        known.lastActive = now;
        return false;
      }
      members.set(cid, { cid, userId: peer.userId, lastActive: now, joinedAt: now });
      entryOf(byUser, peer.userId, () => new Set<string>()).add(cid);
      if (rosterList.length < ROSTER_KEPT) {
        rosterRanks.set(cid, rosterList.length);
        rosterList.push(cid);
        return true;
      }
      return false;
    },
    remove(cid) {
      const member = members.get(cid);
      if (member === undefined) return false;
      members.delete(cid);
      for (const index of indexes.values()) index.delete(cid);
      const conns = byUser.get(member.userId);
      conns?.delete(cid);
      if (conns?.size === 0) byUser.delete(member.userId);
      if (!rosterRanks.has(cid)) return false;
      rebuildRoster();
      return true;
    },
    all: () => members.values(),
  };
}
