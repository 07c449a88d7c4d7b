// At each flush, which entries each filtered connection gets (PROTOCOL.md §8):
// an `enter` when a member comes into its view, the member's entries while held,
// a `hide` when it leaves the view, a `leave` when it leaves the room. An entry
// is offered only to the viewers that hold its member or may want it
// (interest-index.ts), so routing costs O(interested connections), not O(room).
// Viewers over their cap are re-selected here too, spaced by RESELECT_MS.
//
// In a large room, a member coming into a viewer's window is not entered at once:
// it waits for the viewer's next arrivals pass, at most one per
// LARGE_ROOM_ARRIVAL_MS (the first at once) for a member that moved in, and one
// per LARGE_ROOM_NEWCOMER_MS for members that only joined the room there. A viewer
// that is written anyway — it gets a batch, or its OCCUPANCY is due on its own —
// takes its waiting arrivals along in that write (no frame of their own), so
// newcomers nearly always ride the OCCUPANCY their join made due. A join storm in
// a room of 10 000 otherwise cost a frame per join per viewer whose window held the
// joiner — in L1, 413 000 single-entry frames for 10 000 joins, most of the 28 s
// they took; at 250 ms still 344 000 (docs/BENCHMARKS.md, L1). A full window takes
// arrivals in by displacing its least recently active members, not by re-selecting.
// Members already held, self, pinned users and the roster are never delayed.
import type { BatchEntry, ClientBatchEntry, ViewSpec } from "@collabblocks/protocol";
import { entryOf } from "./map-entry.js";
import {
  byRecentActivity,
  inWindow,
  inWindowFor,
  isAlwaysFor,
  leastActive,
  type MemberFacts,
  memberFacts,
  type Ranked,
  rankOf,
} from "./select-view.js";
import type { Viewer } from "./view-holdings.js";
import { dropArrivals, select, type ViewsState } from "./views-state.js";

/** A filtered connection over its cap is re-selected at most this often, ms. */
export const RESELECT_MS = 250;
/**
 * …and in a large room at most this often: a window there is often at its cap, so
 * arrivals keep asking for re-selection (12 % of the core in L1's profile at 250 ms).
 */
export const LARGE_ROOM_RESELECT_MS = 1000;
/** In a large room, a viewer's window takes in members that moved into it at most this often, ms (PROTOCOL.md §8). */
export const LARGE_ROOM_ARRIVAL_MS = 250;
/**
 * A member counts as joining, not moving, for its first LARGE_ROOM_JOIN_MS in the room
 * (PROTOCOL.md §8): a client usually sets its cursor just after it joins.
 */
export const LARGE_ROOM_JOIN_MS = 1000;
/**
 * Members that joined the room inside a viewer's window go along in the next write the
 * viewer gets anyway; a pass of their own comes only this long after its last one, ms
 * (PROTOCOL.md §8). A join changes the room's size, so every filtered viewer is owed an
 * OCCUPANCY within two occupancy intervals (edge/occupancy-notifier.ts), and newcomers
 * ride it: during a join storm a viewer then gets one write per occupancy interval, not
 * one for its occupancy and one for its newcomers (at one pass a second, 71 000 of the
 * 364 000 writes of a 10 000-member storm were newcomer passes of their own; docs/BENCHMARKS.md).
 */
export const LARGE_ROOM_NEWCOMER_MS = 4000;

/**
 * Entries made for viewers during one route — enters (the member's current state)
 * and hides — are one object per member, so the edge encodes each once however
 * many viewers get it. Cleared after each route.
 */
interface Made {
  readonly s: ViewsState;
  /** The route's time. */
  t: number;
  /** Offers made so far: marks the viewers an offer reached as holders (Viewer.offered). */
  offers: number;
  readonly enters: Map<string, ClientBatchEntry>;
  readonly hides: Map<string, ClientBatchEntry>;
}

export interface ViewRouter {
  /**
   * The entries each filtered connection gets (absent = nothing). `writtenAnyway`:
   * connections that get a write in this flush whatever they are routed (their
   * OCCUPANCY is due on its own): their waiting arrivals go along.
   */
  route(entries: readonly BatchEntry[], writtenAnyway?: ReadonlySet<string>): Map<string, ClientBatchEntry[]>;
}

export function createViewRouter(s: ViewsState): ViewRouter {
  const made: Made = { s, t: 0, offers: 0, enters: new Map(), hides: new Map() };
  return {
    route(entries, writtenAnyway) {
      const out = new Map<string, ClientBatchEntry[]>();
      // Small rooms without views (most rooms): nobody is filtered, nothing to route.
      if (s.interest.everyone.size === s.viewers.size && s.dirty.size === 0) return out;
      const t = s.options.now();
      made.t = t;
      for (const e of entries) offer(made, e, out);
      // Viewers written anyway take their arrivals along.
      for (const [cid, list] of out) if (list.length > 0) rideAlong(made, cid, out, t);
      if (writtenAnyway !== undefined && s.arriving.size > 0)
        for (const cid of writtenAnyway) rideAlong(made, cid, out, t);
      for (const v of s.arrivalsNow) if (s.arriving.has(v)) admitNow(made, v, out, t);
      s.arrivalsNow.clear();
      if (t >= s.arrivalsDueAt) admitDue(made, out, t);
      const spacing = reselectSpacing(s);
      for (const v of [...s.dirty]) {
        if (!routable(s, v)) continue;
        const since = t - v.lastSelect;
        if (since < spacing) continue;
        // In a large room a re-selection waits for a write the viewer gets anyway (up to
        // twice the spacing): on its own it was a second frame per full window per
        // second in L1's join storm, beside the arrivals pass's.
        if (s.large && since < 2 * spacing && !writtenNow(v, out, writtenAnyway)) continue;
        reselect(made, v, v.view, listOf(out, v.cid));
      }
      for (const [cid, list] of out) if (list.length === 0) out.delete(cid);
      made.enters.clear();
      made.hides.clear();
      return out;
    },
  };
}

/** How long after its last selection a viewer over its cap may be selected again, ms. */
const reselectSpacing = (s: ViewsState): number => (s.large ? LARGE_ROOM_RESELECT_MS : RESELECT_MS);

/** Does the viewer get a write in this flush (entries routed to it, or its OCCUPANCY on its own)? */
function writtenNow(
  v: Viewer,
  out: Map<string, ClientBatchEntry[]>,
  writtenAnyway: ReadonlySet<string> | undefined,
): boolean {
  return (out.get(v.cid)?.length ?? 0) > 0 || writtenAnyway?.has(v.cid) === true;
}

const newList = (): ClientBatchEntry[] => [];
const NO_VIEWERS: readonly Viewer[] = [];
const listOf = (out: Map<string, ClientBatchEntry[]>, cid: string): ClientBatchEntry[] =>
  entryOf(out, cid, newList);

/**
 * Offers one entry to every filtered viewer that holds its member (each knowing
 * how it holds it), then to those that may want it without holding it.
 */
function offer(made: Made, e: BatchEntry, out: Map<string, ClientBatchEntry[]>): void {
  const { s } = made;
  const cid = e.connectionId;
  const holders = s.holdings.holders(cid);
  const facts = memberFacts(cid, s.select);
  const offering = ++made.offers;
  if (holders !== undefined) {
    // Snapshots of the holders: deciding may drop the one it decides for, or move it
    // from one set to the other.
    const always = holders.always.size === 0 ? NO_VIEWERS : [...holders.always];
    const window = [...holders.window];
    for (const v of always) {
      v.offered = offering;
      if (routable(s, v)) decide(made, v, v.view, e, facts, out, HELD_ALWAYS);
    }
    for (const v of window) {
      v.offered = offering;
      if (routable(s, v)) decide(made, v, v.view, e, facts, out, HELD_WINDOW);
    }
  }
  if (e.kind === "leave") return;
  // Decided as they are found: deciding changes holdings, never where viewers look.
  const want = (v: Viewer): void => {
    // Offered already, as a holder or through another index (a field of the viewer just fetched).
    if (v.offered === offering) return;
    v.offered = offering;
    if (routable(s, v)) decide(made, v, v.view, e, facts, out, NOT_HELD);
  };
  s.interest.collect(cid, s.options.stateOf(cid)?.state, want);
  const self = s.viewers.get(cid);
  if (self !== undefined) want(self);
}

/**
 * Adds an entry to what the viewer gets. A list is made on the viewer's first entry,
 * not when it is offered one: most offers in a large room's join storm only queue an
 * arrival, and an empty list per offered viewer was 600 000 arrays and map entries
 * over L1's 10 000 joins.
 */
function push(out: Map<string, ClientBatchEntry[]>, cid: string, entry: ClientBatchEntry): void {
  listOf(out, cid).push(entry);
}

/** How a viewer held an entry's member when the entry was offered to it. */
const NOT_HELD = 0;
const HELD_ALWAYS = 1;
const HELD_WINDOW = 2;
type Held = typeof NOT_HELD | typeof HELD_ALWAYS | typeof HELD_WINDOW;

function enterOf(made: Made, cid: string): ClientBatchEntry | undefined {
  let enter = made.enters.get(cid);
  if (enter === undefined) {
    const peer = made.s.options.stateOf(cid);
    if (peer === undefined) return undefined;
    enter = { kind: "enter", ...peer };
    made.enters.set(cid, enter);
  }
  return enter;
}

function hideOf(made: Made, cid: string): ClientBatchEntry {
  return entryOf(made.hides, cid, () => ({ kind: "hide", connectionId: cid }));
}

/** What one viewer gets for one entry, and what it holds after it. */
function decide(
  made: Made,
  v: Viewer,
  view: ViewSpec,
  e: BatchEntry,
  facts: MemberFacts,
  out: Map<string, ClientBatchEntry[]>,
  held: Held,
): void {
  const { holdings } = made.s;
  const cid = e.connectionId;
  const heldAlways = held === HELD_ALWAYS;
  const heldWindow = held === HELD_WINDOW;
  if (e.kind === "leave") {
    if (heldAlways || heldWindow) push(out, v.cid, e);
    holdings.drop(v, cid);
    if (heldWindow) refillLater(made, v);
    return;
  }
  const always = isAlwaysFor(view, v.cid, facts);
  const win = !always && inWindowFor(view, facts, heldWindow);
  if (heldAlways || heldWindow) {
    if (!always && !win) {
      push(out, v.cid, hideOf(made, cid));
      holdings.drop(v, cid);
      if (heldWindow) refillLater(made, v);
      return;
    }
    push(out, v.cid, e);
    if (always !== heldAlways) holdings.hold(v, cid, always);
    if (win && v.window.size > view.cap) made.s.dirty.add(v);
    return;
  }
  if (!always && !win) return;
  if (!always && made.s.large) {
    arrive(made, v, cid, movedIn(made, e, facts)); // entered at the viewer's next arrivals pass
    return;
  }
  if (always || v.window.size < view.cap) {
    const enter = enterOf(made, cid);
    if (enter === undefined) return;
    push(out, v.cid, enter);
    holdings.hold(v, cid, always);
    return;
  }
  made.s.dirty.add(v); // over its cap: re-selected soon (the most recently active win)
}

/**
 * A member the viewer's window held is gone from it: when the window had left members
 * out, one of them now fits, and a re-selection (spaced as any) takes it in.
 */
function refillLater(made: Made, v: Viewer): void {
  if (v.omitted > 0) made.s.dirty.add(v);
}

/**
 * Did the entry's member move into a window, rather than join the room there? A
 * member counts as joining for its first LARGE_ROOM_JOIN_MS in the room, wherever
 * it first shows up: a client usually sets its cursor just after it joins, and that
 * first position is an update when its enter went out before it (an enter waits
 * ENTER_DEFER_MS for the first patch, edge/connection.ts, and carries it if it comes).
 */
function movedIn(made: Made, e: BatchEntry, facts: MemberFacts): boolean {
  if (e.kind === "enter") return false;
  return facts.joinedAt === undefined || made.t - facts.joinedAt >= LARGE_ROOM_JOIN_MS;
}

/**
 * Is the viewer routed entries (filtered, no snapshot on its way to replace what it
 * holds)? The size test first: nearly always no snapshot is waiting.
 */
function routable(s: ViewsState, v: Viewer): v is Viewer & { view: ViewSpec } {
  return v.view !== undefined && (s.snapshotRequests.size === 0 || !s.snapshotRequests.has(v.cid));
}

/** Enters the viewer's waiting arrivals now, in a write it gets anyway. */
function rideAlong(made: Made, cid: string, out: Map<string, ClientBatchEntry[]>, t: number): void {
  const v = made.s.viewers.get(cid);
  if (v !== undefined && v.arrivals.size > 0) admitNow(made, v, out, t);
}

/** When the viewer's next arrivals pass is due (newcomers alone mostly ride a write before it). */
function arrivalsDue(v: Viewer): number {
  return v.lastArrivals + (v.moverArrived ? LARGE_ROOM_ARRIVAL_MS : LARGE_ROOM_NEWCOMER_MS);
}

/**
 * A member came into the viewer's window (`moved`: by moving, not by joining the
 * room there). A pass already due runs in this route (arrivalsNow); the others wait
 * for arrivalsDueAt, so a route scans the waiting viewers only when one is due (a
 * scan per joiner was 3 % of L1's join storm).
 */
function arrive(made: Made, v: Viewer, cid: string, moved: boolean): void {
  const { s } = made;
  // A viewer is in `arriving` exactly while it has arrivals (views-state.ts dropArrivals); its
  // due time changes only with its first arrival, or the first that moved in (a sooner pass).
  const first = v.arrivals.size === 0;
  v.arrivals.add(cid);
  const sooner = moved && !v.moverArrived;
  if (sooner) v.moverArrived = true;
  if (!first && !sooner) return;
  if (first) s.arriving.add(v);
  const due = arrivalsDue(v);
  if (due <= made.t) s.arrivalsNow.add(v);
  else s.arrivalsDueAt = Math.min(s.arrivalsDueAt, due);
}

/** Runs the viewer's arrivals pass (or drops its arrivals when a snapshot or an everyone view replaces them). */
function admitNow(made: Made, v: Viewer, out: Map<string, ClientBatchEntry[]>, t: number): void {
  const { s } = made;
  if (!routable(s, v)) {
    dropArrivals(s, v);
  } else {
    admitArrivals(made, v, v.view, listOf(out, v.cid), t);
  }
}

/** Runs every arrivals pass that is due; the rest wait for the earliest of their due times. */
function admitDue(made: Made, out: Map<string, ClientBatchEntry[]>, t: number): void {
  const { s } = made;
  let next = Number.POSITIVE_INFINITY;
  // No copy of the set: a pass only deletes from it (the viewer it runs for), never adds.
  for (const v of s.arriving) {
    const due = arrivalsDue(v);
    if (t >= due || v.view === undefined) admitNow(made, v, out, t);
    else next = Math.min(next, due);
  }
  s.arrivalsDueAt = next;
}

/**
 * Enters the viewer's waiting arrivals that are still in its window, up to its
 * cap; past the cap they take the places of less recently active members (displace).
 */
function admitArrivals(made: Made, v: Viewer, view: ViewSpec, out: ClientBatchEntry[], t: number): void {
  const { s } = made;
  let beyondCap: string[] | undefined;
  for (const cid of v.arrivals) {
    if (v.always.has(cid) || v.window.has(cid) || !inWindow(view, cid, false, s.select)) continue;
    if (v.window.size >= view.cap) {
      beyondCap ??= [];
      beyondCap.push(cid);
      continue;
    }
    const enter = enterOf(made, cid);
    if (enter === undefined) continue;
    out.push(enter);
    s.holdings.hold(v, cid, false);
  }
  if (beyondCap !== undefined) displace(made, v, beyondCap, out);
  dropArrivals(s, v);
  v.lastArrivals = t;
}

/**
 * A full window takes in arrivals by activity: the most active arrival replaces the
 * least active member the window holds if it ranks before it, the next the next, and
 * each arrival is one more member left out. That is what re-selecting (select-view.ts)
 * would choose when the window held the selection before: arrivals are the only members
 * whose activity changed since (a left-out member that updates arrives again). It costs a
 * sort of the window's ~cap members, not a grid query and a sort of everything inside
 * the window — re-selection at every full window's pass was 7–11 % of L1's join storm.
 * Arrivals passed inWindow in this route, so each has a state to enter.
 */
function displace(made: Made, v: Viewer, arrivals: readonly string[], out: ClientBatchEntry[]): void {
  const { s } = made;
  const incoming = arrivals.map((cid) => rankOf(cid, s.members)).sort(byRecentActivity);
  // Least active first: the next to give its place up.
  const held = leastActive(v.window, incoming.length, s.members);
  v.omitted += incoming.length;
  for (let i = 0; i < incoming.length; i++) {
    const inc = incoming[i] as Ranked;
    const leaving = held[i];
    const enter = enterOf(made, inc.cid);
    if (leaving === undefined || enter === undefined || byRecentActivity(inc, leaving) >= 0) break;
    out.push(hideOf(made, leaving.cid));
    s.holdings.drop(v, leaving.cid);
    out.push(enter);
    s.holdings.hold(v, inc.cid, false);
  }
}

/** Selects the viewer afresh: hides what it no longer holds, enters what it newly holds. */
function reselect(made: Made, v: Viewer, view: ViewSpec, out: ClientBatchEntry[]): void {
  const { holdings } = made.s;
  const s = select(made.s, v, view);
  // Deleting the entry a Set iteration is at is safe: no copy of what it holds.
  for (const heldSet of [v.always, v.window])
    for (const cid of heldSet) {
      if (s.always.has(cid) || s.window.has(cid)) continue;
      out.push(hideOf(made, cid));
      holdings.drop(v, cid);
    }
  for (const [set, always] of [
    [s.always, true],
    [s.window, false],
  ] as const) {
    for (const cid of set) {
      // Held the same way already (most of a re-selection): nothing to change. Holding
      // each again was a third of re-selection's cost in L1's join storm.
      if ((always ? v.always : v.window).has(cid)) continue;
      const held = v.always.has(cid) || v.window.has(cid);
      if (!held) {
        const enter = enterOf(made, cid);
        if (enter === undefined) continue;
        out.push(enter);
      }
      holdings.hold(v, cid, always);
    }
  }
}
