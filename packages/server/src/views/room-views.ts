// The views of one room's local connections (PROTOCOL.md §8): for each
// connection, which members it holds, and at each flush which entries it gets.
//
// A connection either sees everyone (small rooms, or it asked to) and is served
// by the room's shared frame, or it is *filtered*: it holds a selection
// (select-view.ts) and gets entries only about what it holds — an `enter` when a
// member comes into its view, the member's entries while held, a `hide` when it
// leaves the view (a `leave` when it leaves the room). An entry reaches only the
// connections that hold the member or whose window contains its new position
// (found through a grid index of windows), so routing costs O(interested
// connections), not O(room).
//
// Invariant (property-tested): after each flush, a filtered connection's replica
// holds exactly its `held` set, each at the room's current state.
import {
  type BatchEntry,
  type ClientBatchEntry,
  LARGE_ROOM_DEFAULT_VIEW,
  type PeerState,
  positionOf,
  type ViewSpec,
  withMargin,
} from "@collabblocks/protocol";
import { createGridIndex, type GridIndex } from "./grid-index.js";
import { entryOf } from "./map-entry.js";
import { createRoomMembers, type RoomMembers } from "./room-members.js";
import { cellSizeFor, inWindow, isAlways, type SelectContext, selectView } from "./select-view.js";

/** A filtered connection over its cap is re-selected at most this often, ms. */
export const RESELECT_MS = 250;
/**
 * …and in a large room at most this often: a window there is often at its cap, so
 * arrivals keep asking for re-selection (12 % of the core in L1's profile at 250 ms).
 */
export const LARGE_ROOM_RESELECT_MS = 1000;
/** A large room turns small again only at or below this share of the threshold (no flapping). */
export const SMALL_AGAIN_FRACTION = 0.9;

export interface RoomViewsOptions {
  /** Above this many connections, connections without a view stop getting everyone. */
  readonly largeRoomThreshold: number;
  readonly stateOf: (cid: string) => PeerState | undefined;
  readonly now: () => number;
}

interface Viewer {
  readonly cid: string;
  /** What the connection declared; undefined = the room's default. */
  declared: ViewSpec | undefined;
  /** Filtered view in force; undefined = everyone. */
  view: ViewSpec | undefined;
  readonly always: Set<string>;
  readonly window: Set<string>;
  omitted: number;
  /** When it was last selected (−∞: never, or a declared change waiting). */
  lastSelect: number;
}

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
  /** What a join or resync snapshot holds for this connection; resets what it holds to that. */
  snapshotFor(cid: string): "everyone" | readonly string[];
  /** Connections whose kind of view changed (threshold crossed): they need a fresh snapshot. */
  takeSnapshotRequests(): string[];
  /** At a flush: the entries each filtered connection gets (absent = nothing). */
  route(entries: readonly BatchEntry[]): Map<string, ClientBatchEntry[]>;
  occupancy(cid: string): Occupancy;
  /** What a filtered connection holds (tests, diagnostics); undefined for everyone-viewers. */
  holds(cid: string): ReadonlySet<string> | undefined;
}

export function createRoomViews(options: RoomViewsOptions): RoomViews {
  const { stateOf, now } = options;
  const members = createRoomMembers(stateOf);
  const ctx: SelectContext = { members, stateOf };
  const viewers = new Map<string, Viewer>();
  const heldBy = new Map<string, Set<string>>();
  const pinners = new Map<string, Set<string>>();
  const rosterViewers = new Set<string>();
  const windows = new Map<string, GridIndex<string>>();
  const snapshotRequests = new Set<string>();
  const dirty = new Set<Viewer>();
  const everyoneSet = new Set<string>();
  let large = false;

  function markDirty(v: Viewer): void {
    dirty.add(v);
  }

  const effective = (v: Viewer): ViewSpec | undefined =>
    v.declared ?? (large ? LARGE_ROOM_DEFAULT_VIEW : undefined);
  const isEveryoneView = (view: ViewSpec | undefined) => view === undefined || view.everyone;

  function hold(v: Viewer, cid: string, always: boolean): void {
    (always ? v.always : v.window).add(cid);
    (always ? v.window : v.always).delete(cid);
    entryOf(heldBy, cid, () => new Set<string>()).add(v.cid);
  }

  function drop(v: Viewer, cid: string): void {
    v.always.delete(cid);
    v.window.delete(cid);
    const set = heldBy.get(cid);
    set?.delete(v.cid);
    if (set?.size === 0) heldBy.delete(cid);
  }

  function dropAll(v: Viewer): void {
    for (const cid of [...v.always, ...v.window]) drop(v, cid);
  }

  /** Registers where a viewer's interest lives: window index, pinned users, roster. */
  function index(v: Viewer, view: ViewSpec | undefined): void {
    for (const w of windows.values()) w.delete(v.cid);
    for (const set of pinners.values()) set.delete(v.cid);
    rosterViewers.delete(v.cid);
    v.view = isEveryoneView(view) ? undefined : view;
    if (v.view === undefined) everyoneSet.add(v.cid);
    else everyoneSet.delete(v.cid);
    if (v.view === undefined) return;
    if (v.view.rect !== null) {
      const rect = v.view.rect;
      entryOf(windows, v.view.field, () => createGridIndex<string>(cellSizeFor(rect))).set(
        v.cid,
        withMargin(rect),
      );
    }
    for (const userId of v.view.pinned) {
      entryOf(pinners, userId, () => new Set<string>()).add(v.cid);
    }
    if (v.view.roster > 0) rosterViewers.add(v.cid);
  }

  function select(v: Viewer, view: ViewSpec): { always: Set<string>; window: Set<string> } {
    const s = selectView(view, v.cid, v.window, ctx);
    v.omitted = s.omitted;
    dirty.delete(v);
    v.lastSelect = now();
    return s;
  }

  // Entries made for viewers during one route() — enters (the member's current state)
  // and hides — are one object per member, so the edge encodes each once however
  // many viewers get it.
  const made = { enters: new Map<string, ClientBatchEntry>(), hides: new Map<string, ClientBatchEntry>() };

  function enterOf(cid: string): ClientBatchEntry | undefined {
    let enter = made.enters.get(cid);
    if (enter === undefined) {
      const peer = stateOf(cid);
      if (peer === undefined) return undefined;
      enter = { kind: "enter", ...peer };
      made.enters.set(cid, enter);
    }
    return enter;
  }

  function hideOf(cid: string): ClientBatchEntry {
    return entryOf(made.hides, cid, () => ({ kind: "hide", connectionId: cid }));
  }

  function reviewThreshold(): void {
    const size = members.size;
    const next = large
      ? size > Math.floor(options.largeRoomThreshold * SMALL_AGAIN_FRACTION)
      : size > options.largeRoomThreshold;
    if (next === large) return;
    large = next;
    for (const v of viewers.values()) {
      if (v.declared !== undefined) continue;
      index(v, effective(v));
      snapshotRequests.add(v.cid);
    }
  }

  function decide(v: Viewer, view: ViewSpec, e: BatchEntry, out: ClientBatchEntry[]): void {
    const cid = e.connectionId;
    const heldAlways = v.always.has(cid);
    const heldWindow = v.window.has(cid);
    if (e.kind === "leave") {
      if (heldAlways || heldWindow) out.push(e);
      drop(v, cid);
      return;
    }
    const always = isAlways(view, v.cid, cid, members);
    const win = !always && inWindow(view, cid, heldWindow, ctx);
    if (heldAlways || heldWindow) {
      if (!always && !win) {
        out.push(hideOf(cid));
        drop(v, cid);
        return;
      }
      out.push(e);
      if (always !== heldAlways) hold(v, cid, always);
      if (win && v.window.size > view.cap) markDirty(v);
      return;
    }
    if (!always && !win) return;
    if (always || v.window.size < view.cap) {
      const enter = enterOf(cid);
      if (enter === undefined) return;
      out.push(enter);
      hold(v, cid, always);
      return;
    }
    markDirty(v); // over its cap: re-selected soon (the most recently active win)
  }

  function reselect(v: Viewer, view: ViewSpec, out: ClientBatchEntry[]): void {
    const s = select(v, view);
    for (const cid of [...v.always, ...v.window]) {
      if (s.always.has(cid) || s.window.has(cid)) continue;
      out.push(hideOf(cid));
      drop(v, cid);
    }
    for (const [set, always] of [
      [s.always, true],
      [s.window, false],
    ] as const) {
      for (const cid of set) {
        const held = v.always.has(cid) || v.window.has(cid);
        if (!held) {
          const enter = enterOf(cid);
          if (enter === undefined) continue;
          out.push(enter);
        }
        hold(v, cid, always);
      }
    }
  }

  return {
    members,
    get large() {
      return large;
    },
    observe(entry, after) {
      const rosterChanged =
        entry.kind === "leave" || after === undefined
          ? members.remove(entry.connectionId)
          : members.upsert(after, now());
      if (rosterChanged) for (const cid of rosterViewers) markDirty(viewers.get(cid) as Viewer);
      reviewThreshold();
    },
    addViewer(cid, declared) {
      const v: Viewer = {
        cid,
        declared,
        view: undefined,
        always: new Set(),
        window: new Set(),
        omitted: 0,
        lastSelect: Number.NEGATIVE_INFINITY,
      };
      viewers.set(cid, v);
      index(v, effective(v));
    },
    removeViewer(cid) {
      const v = viewers.get(cid);
      if (v === undefined) return;
      index(v, undefined);
      everyoneSet.delete(cid);
      dropAll(v);
      viewers.delete(cid);
      dirty.delete(v);
      snapshotRequests.delete(cid);
    },
    setView(cid, declared) {
      const v = viewers.get(cid);
      if (v === undefined) return;
      const wasEveryone = v.view === undefined;
      v.declared = declared;
      index(v, effective(v));
      if (wasEveryone || v.view === undefined) {
        dropAll(v);
        snapshotRequests.add(cid); // everyone ⇄ filtered: a snapshot replaces what it holds
      } else {
        v.lastSelect = Number.NEGATIVE_INFINITY; // a declared change applies at once
        markDirty(v);
      }
    },
    isEveryone: (cid) => viewers.get(cid)?.view === undefined,
    everyone: () => everyoneSet,
    snapshotFor(cid) {
      const v = viewers.get(cid);
      snapshotRequests.delete(cid);
      if (v === undefined || v.view === undefined) return "everyone";
      dropAll(v);
      const s = select(v, v.view);
      for (const id of s.always) hold(v, id, true);
      for (const id of s.window) hold(v, id, false);
      return [...s.always, ...s.window];
    },
    takeSnapshotRequests() {
      const list = [...snapshotRequests];
      snapshotRequests.clear();
      return list;
    },
    route(entries) {
      const out = new Map<string, ClientBatchEntry[]>();
      // Small rooms without views (most rooms): nobody is filtered, nothing to route.
      if (everyoneSet.size === viewers.size && dirty.size === 0) return out;
      const listOf = (cid: string) => {
        return entryOf(out, cid, () => [] as ClientBatchEntry[]);
      };
      for (const e of entries) {
        const interested = new Set<string>(heldBy.get(e.connectionId));
        if (e.kind !== "leave") {
          const state = stateOf(e.connectionId)?.state;
          if (state !== undefined) {
            for (const [field, w] of windows) {
              const p = positionOf(state, field);
              if (p !== undefined) w.query(p, (cid) => interested.add(cid));
            }
          }
          const userId = members.get(e.connectionId)?.userId;
          for (const cid of (userId !== undefined && pinners.get(userId)) || []) interested.add(cid);
          if (members.rosterRank(e.connectionId) !== undefined)
            for (const cid of rosterViewers) interested.add(cid);
          if (viewers.has(e.connectionId)) interested.add(e.connectionId);
        }
        for (const cid of interested) {
          const v = viewers.get(cid);
          if (v?.view !== undefined && !snapshotRequests.has(cid)) decide(v, v.view, e, listOf(cid));
        }
      }
      const t = now();
      for (const v of [...dirty]) {
        if (v.view === undefined || snapshotRequests.has(v.cid)) continue;
        if (t - v.lastSelect < (large ? LARGE_ROOM_RESELECT_MS : RESELECT_MS)) continue;
        reselect(v, v.view, listOf(v.cid));
      }
      for (const [cid, list] of out) if (list.length === 0) out.delete(cid);
      made.enters.clear();
      made.hides.clear();
      return out;
    },
    holds(cid) {
      const v = viewers.get(cid);
      return v?.view === undefined ? undefined : new Set([...v.always, ...v.window]);
    },
    occupancy(cid) {
      return { connections: members.size, users: members.users, omitted: viewers.get(cid)?.omitted ?? 0 };
    },
  };
}
