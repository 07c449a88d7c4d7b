// What the parts of one room's views share (PROTOCOL.md §8): the viewers, what
// they hold, where they look, which need re-selection or a snapshot, and whether
// the room is large. room-views.ts keeps it and answers the edge room;
// view-routing.ts routes a flush's entries through it. The steps both take —
// putting a viewer's view in force, selecting what it holds — are here.
import { LARGE_ROOM_DEFAULT_VIEW, type PeerState, type ViewSpec } from "@collabblocks/protocol";
import { createInterestIndex, type InterestIndex } from "./interest-index.js";
import { createRoomMembers, type RoomMembers } from "./room-members.js";
import { type SelectContext, type Selection, selectView } from "./select-view.js";
import { createViewHoldings, type Viewer, type ViewHoldings } from "./view-holdings.js";

export interface RoomViewsOptions {
  /** Above this many connections, connections without a view stop getting everyone. */
  readonly largeRoomThreshold: number;
  readonly stateOf: (cid: string) => PeerState | undefined;
  readonly now: () => number;
}

export interface ViewsState {
  readonly options: RoomViewsOptions;
  readonly members: RoomMembers;
  readonly select: SelectContext;
  readonly viewers: Map<string, Viewer>;
  readonly holdings: ViewHoldings;
  readonly interest: InterestIndex<Viewer>;
  /** Viewers to re-select (over their cap, roster changed, view redeclared), at most every RESELECT_MS. */
  readonly dirty: Set<Viewer>;
  /** Viewers whose kind of view changed (everyone ⇄ filtered): a snapshot replaces what they hold. */
  readonly snapshotRequests: Set<string>;
  /** Viewers with arrivals waiting for their next arrivals pass (large rooms, view-routing.ts). */
  readonly arriving: Set<Viewer>;
  /** Viewers in `arriving` whose pass was already due when a member arrived: run at this route. */
  readonly arrivalsNow: Set<Viewer>;
  /** The earliest time an arrivals pass of a viewer in `arriving` is due (+∞: none). */
  arrivalsDueAt: number;
  /** Above the threshold (until the room shrinks to SMALL_AGAIN_FRACTION of it). */
  large: boolean;
}

export function createViewsState(options: RoomViewsOptions): ViewsState {
  const members = createRoomMembers(options.stateOf);
  return {
    options,
    members,
    select: { members, stateOf: options.stateOf },
    viewers: new Map(),
    holdings: createViewHoldings(),
    interest: createInterestIndex<Viewer>(members),
    dirty: new Set(),
    snapshotRequests: new Set(),
    arriving: new Set(),
    arrivalsNow: new Set(),
    arrivalsDueAt: Number.POSITIVE_INFINITY,
    large: false,
  };
}

/** The view in force for what the viewer declared: its own, else the room's default. */
function effective(s: ViewsState, v: Viewer): ViewSpec | undefined {
  return v.declared ?? (s.large ? LARGE_ROOM_DEFAULT_VIEW : undefined);
}

/** Puts the viewer's effective view in force (an everyone view is kept as undefined) and indexes it. */
export function applyView(s: ViewsState, v: Viewer): void {
  const view = effective(s, v);
  v.view = view === undefined || view.everyone ? undefined : view;
  s.interest.place(v, v.view);
}

/**
 * Forgets the viewer's waiting arrivals: it leaves `arriving` exactly when it has none,
 * and `moverArrived` says whether one of those waiting moved in (view-routing.ts arrive).
 */
export function dropArrivals(s: ViewsState, v: Viewer): void {
  v.arrivals.clear();
  v.moverArrived = false;
  s.arriving.delete(v);
}

/** What the view selects for the viewer now; records its omitted count and selection time. */
export function select(s: ViewsState, v: Viewer, view: ViewSpec): Selection {
  const selection = selectView(view, v.cid, v.window, s.select);
  v.omitted = selection.omitted;
  s.dirty.delete(v);
  // A selection takes in whatever had arrived, and counts as the viewer's arrivals pass:
  // a joiner's first newcomer otherwise had a pass, and a write, of its own at once
  // (one write per join in a large room's join storm).
  dropArrivals(s, v);
  v.lastSelect = s.options.now();
  v.lastArrivals = v.lastSelect;
  return selection;
}
