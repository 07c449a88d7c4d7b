// The views of one room's local connections (PROTOCOL.md §8): for each
// connection, which members it holds, and at each flush which entries it gets.
//
// A connection either sees everyone (small rooms, or it asked to) and is served
// by the room's shared frame, or it is *filtered*: it holds a selection
// (select-view.ts) and gets entries only about what it holds, routed at each
// flush by view-routing.ts. This file is the room's side of it: viewers come and
// go and declare views, the room turns large and small again, snapshots reset
// what a viewer holds. The shared state is views-state.ts; what each viewer
// holds, view-holdings.ts; where viewers look, interest-index.ts.
//
// Invariant (property-tested): after each flush, a filtered connection's replica
// holds exactly its `held` set, each at the room's current state.
import type { BatchEntry, ClientBatchEntry, PeerState, ViewSpec } from "@collabblocks/protocol";
import type { RoomMembers } from "./room-members.js";
import { createViewer } from "./view-holdings.js";
import { createViewRouter } from "./view-routing.js";
import {
  applyView,
  createViewsState,
  type RoomViewsOptions,
  select,
  type ViewsState,
} from "./views-state.js";

export {
  LARGE_ROOM_ARRIVAL_MS,
  LARGE_ROOM_JOIN_MS,
  LARGE_ROOM_NEWCOMER_MS,
  LARGE_ROOM_RESELECT_MS,
  RESELECT_MS,
} from "./view-routing.js";
export type { RoomViewsOptions } from "./views-state.js";

/** A large room turns small again only at or below this share of the threshold (no flapping). */
export const SMALL_AGAIN_FRACTION = 0.9;

export interface Occupancy {
  readonly connections: number;
  readonly users: number;
  readonly omitted: number;
}

export interface RoomViews {
  readonly members: RoomMembers;
  /** True above the threshold (until the room shrinks to SMALL_AGAIN_FRACTION of it). */
  readonly large: boolean;
  /** Record a replica change: call with the entry the replica applied and the state after it. */
  observe(entry: BatchEntry, after: PeerState | undefined): void;
  addViewer(cid: string, declared?: ViewSpec): void;
  removeViewer(cid: string): void;
  /** Declares a view (undefined = back to the room's default); takes effect at the next route. */
  setView(cid: string, declared: ViewSpec | undefined): void;
  /** Served by the room's shared frame (sees everyone)? */
  isEveryone(cid: string): boolean;
  /** The connections that see everyone (served by the shared frame), without scanning the room. */
  everyone(): ReadonlySet<string>;
  /** Does every connection see everyone (no filtered one: small rooms without views)? */
  allEveryone(): boolean;
  /** What a join or resync snapshot holds for this connection; resets what it holds to that. */
  snapshotFor(cid: string): "everyone" | readonly string[];
  /** Connections whose kind of view changed (threshold crossed): they need a fresh snapshot. */
  takeSnapshotRequests(): string[];
  /**
   * At a flush: the entries each filtered connection gets (absent = nothing).
   * `writtenAnyway`: connections written in this flush whatever they get (view-routing.ts).
   */
  route(entries: readonly BatchEntry[], writtenAnyway?: ReadonlySet<string>): Map<string, ClientBatchEntry[]>;
  /**
   * Is view work waiting for time to pass (arrivals or re-selections spaced out)?
   * The room then routes again within LARGE_ROOM_ARRIVAL_MS even if nothing else happens.
   */
  waiting(): boolean;
  occupancy(cid: string): Occupancy;
  /** What a filtered connection holds (tests, diagnostics); undefined for everyone-viewers. */
  holds(cid: string): ReadonlySet<string> | undefined;
}

export function createRoomViews(options: RoomViewsOptions): RoomViews {
  const s = createViewsState(options);
  const { members, viewers, holdings, interest, dirty, snapshotRequests } = s;
  const router = createViewRouter(s);
  return {
    members,
    get large() {
      return s.large;
    },
    observe(entry, after) {
      const rosterChanged =
        entry.kind === "leave" || after === undefined
          ? members.remove(entry.connectionId)
          : members.upsert(after, options.now());
      if (rosterChanged) for (const v of interest.rosterViewers) dirty.add(v);
      reviewThreshold(s);
    },
    addViewer(cid, declared) {
      const v = createViewer(cid, declared);
      viewers.set(cid, v);
      applyView(s, v);
    },
    removeViewer(cid) {
      const v = viewers.get(cid);
      if (v === undefined) return;
      interest.remove(v);
      holdings.dropAll(v);
      viewers.delete(cid);
      dirty.delete(v);
      s.arriving.delete(v);
      s.arrivalsNow.delete(v);
      snapshotRequests.delete(cid);
    },
    setView(cid, declared) {
      const v = viewers.get(cid);
      if (v === undefined) return;
      const wasEveryone = v.view === undefined;
      v.declared = declared;
      applyView(s, v);
      if (wasEveryone || v.view === undefined) {
        holdings.dropAll(v);
        snapshotRequests.add(cid); // everyone ⇄ filtered: a snapshot replaces what it holds
      } else {
        v.lastSelect = Number.NEGATIVE_INFINITY; // a declared change applies at once
        dirty.add(v);
      }
    },
    isEveryone: (cid) => viewers.get(cid)?.view === undefined,
    everyone: () => interest.everyone,
    allEveryone: () => interest.everyone.size === viewers.size,
    snapshotFor: (cid) => snapshotFor(s, cid),
    takeSnapshotRequests() {
      const list = [...snapshotRequests];
      snapshotRequests.clear();
      return list;
    },
    route: router.route,
    waiting: () => s.arriving.size > 0 || dirty.size > 0,
    holds(cid) {
      const v = viewers.get(cid);
      return v?.view === undefined ? undefined : new Set([...v.always, ...v.window]);
    },
    occupancy(cid) {
      return { connections: members.size, users: members.users, omitted: viewers.get(cid)?.omitted ?? 0 };
    },
  };
}

/** Crossing the threshold changes the default view: viewers on it switch and get a snapshot. */
function reviewThreshold(s: ViewsState): void {
  const size = s.members.size;
  const threshold = s.options.largeRoomThreshold;
  const next = s.large ? size > Math.floor(threshold * SMALL_AGAIN_FRACTION) : size > threshold;
  if (next === s.large) return;
  s.large = next;
  for (const v of s.viewers.values()) {
    if (v.declared !== undefined) continue;
    applyView(s, v);
    s.snapshotRequests.add(v.cid);
  }
}

/** A join or resync snapshot for the viewer: what it holds is reset to what it selects now. */
function snapshotFor(s: ViewsState, cid: string): "everyone" | readonly string[] {
  const v = s.viewers.get(cid);
  s.snapshotRequests.delete(cid);
  if (v === undefined || v.view === undefined) return "everyone";
  s.holdings.dropAll(v);
  const selected = select(s, v, v.view);
  s.holdings.adopt(v, selected.always, selected.window);
  return [...selected.always, ...selected.window];
}
