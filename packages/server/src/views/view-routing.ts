// At each flush, which entries each filtered connection gets (PROTOCOL.md §8):
// an `enter` when a member comes into its view, the member's entries while held,
// a `hide` when it leaves the view, a `leave` when it leaves the room. An entry
// is offered only to the viewers that hold its member or may want it
// (interest-index.ts), so routing costs O(interested connections), not O(room).
// Viewers over their cap are re-selected here too, spaced by RESELECT_MS.
//
// In a large room, a member coming into a viewer's window is not entered at once:
// it waits for the viewer's next arrivals pass, at most one per
// LARGE_ROOM_ARRIVAL_MS (the first at once). A join storm in a room of 10 000
// otherwise cost a frame per join per viewer whose window held the joiner — in
// L1, 413 000 single-entry frames for 10 000 joins, most of the 28 s they took
// (docs/BENCHMARKS.md, L1). Members already held, self, pinned users and the
// roster are never delayed.
import type { BatchEntry, ClientBatchEntry, ViewSpec } from "@collabblocks/protocol";
import { entryOf } from "./map-entry.js";
import { inWindow, inWindowFor, isAlwaysFor, type MemberFacts, memberFacts } from "./select-view.js";
import type { Viewer } from "./view-holdings.js";
import { select, type ViewsState } from "./views-state.js";

/** A filtered connection over its cap is re-selected at most this often, ms. */
export const RESELECT_MS = 250;
/**
 * …and in a large room at most this often: a window there is often at its cap, so
 * arrivals keep asking for re-selection (12 % of the core in L1's profile at 250 ms).
 */
export const LARGE_ROOM_RESELECT_MS = 1000;
/** In a large room, a viewer's window takes in newcomers at most this often, ms (PROTOCOL.md §8). */
export const LARGE_ROOM_ARRIVAL_MS = 250;

/**
 * Entries made for viewers during one route — enters (the member's current state)
 * and hides — are one object per member, so the edge encodes each once however
 * many viewers get it. Cleared after each route.
 */
interface Made {
  readonly s: ViewsState;
  readonly enters: Map<string, ClientBatchEntry>;
  readonly hides: Map<string, ClientBatchEntry>;
}

export interface ViewRouter {
  /** The entries each filtered connection gets (absent = nothing). */
  route(entries: readonly BatchEntry[]): Map<string, ClientBatchEntry[]>;
}

export function createViewRouter(s: ViewsState): ViewRouter {
  const made: Made = { s, enters: new Map(), hides: new Map() };
  return {
    route(entries) {
      const out = new Map<string, ClientBatchEntry[]>();
      // Small rooms without views (most rooms): nobody is filtered, nothing to route.
      if (s.interest.everyone.size === s.viewers.size && s.dirty.size === 0) return out;
      for (const e of entries) offer(made, e, out);
      const t = s.options.now();
      for (const v of [...s.arriving]) {
        if (v.view === undefined || s.snapshotRequests.has(v.cid)) {
          v.arrivals.clear();
          s.arriving.delete(v);
        } else if (t - v.lastArrivals >= LARGE_ROOM_ARRIVAL_MS) {
          admitArrivals(made, v, v.view, listOf(out, v.cid), t);
        }
      }
      const spacing = s.large ? LARGE_ROOM_RESELECT_MS : RESELECT_MS;
      for (const v of [...s.dirty]) {
        if (v.view === undefined || s.snapshotRequests.has(v.cid)) continue;
        if (t - v.lastSelect < spacing) continue;
        reselect(made, v, v.view, listOf(out, v.cid));
      }
      for (const [cid, list] of out) if (list.length === 0) out.delete(cid);
      made.enters.clear();
      made.hides.clear();
      return out;
    },
  };
}

const listOf = (out: Map<string, ClientBatchEntry[]>, cid: string): ClientBatchEntry[] =>
  entryOf(out, cid, () => [] as ClientBatchEntry[]);

/** Offers one entry to every filtered viewer that holds its member or may want it. */
function offer(made: Made, e: BatchEntry, out: Map<string, ClientBatchEntry[]>): void {
  const { s } = made;
  const cid = e.connectionId;
  const interested = new Set<string>(s.holdings.holders(cid));
  if (e.kind !== "leave") {
    s.interest.collect(cid, s.options.stateOf(cid)?.state, interested);
    if (s.viewers.has(cid)) interested.add(cid);
  }
  const facts = memberFacts(cid, s.select);
  for (const viewer of interested) {
    const v = s.viewers.get(viewer);
    if (v?.view !== undefined && !s.snapshotRequests.has(viewer))
      decide(made, v, v.view, e, facts, listOf(out, viewer));
  }
}

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
  out: ClientBatchEntry[],
): void {
  const { holdings } = made.s;
  const cid = e.connectionId;
  const heldAlways = v.always.has(cid);
  const heldWindow = v.window.has(cid);
  if (e.kind === "leave") {
    if (heldAlways || heldWindow) out.push(e);
    holdings.drop(v, cid);
    return;
  }
  const always = isAlwaysFor(view, v.cid, facts);
  const win = !always && inWindowFor(view, facts, heldWindow);
  if (heldAlways || heldWindow) {
    if (!always && !win) {
      out.push(hideOf(made, cid));
      holdings.drop(v, cid);
      return;
    }
    out.push(e);
    if (always !== heldAlways) holdings.hold(v, cid, always);
    if (win && v.window.size > view.cap) made.s.dirty.add(v);
    return;
  }
  if (!always && !win) return;
  if (!always && made.s.large) {
    v.arrivals.add(cid); // entered at the viewer's next arrivals pass
    made.s.arriving.add(v);
    return;
  }
  if (always || v.window.size < view.cap) {
    const enter = enterOf(made, cid);
    if (enter === undefined) return;
    out.push(enter);
    holdings.hold(v, cid, always);
    return;
  }
  made.s.dirty.add(v); // over its cap: re-selected soon (the most recently active win)
}

/**
 * Enters the viewer's waiting arrivals that are still in its window, up to its
 * cap; past the cap the viewer is re-selected (the most recently active win).
 */
function admitArrivals(made: Made, v: Viewer, view: ViewSpec, out: ClientBatchEntry[], t: number): void {
  const { s } = made;
  for (const cid of v.arrivals) {
    if (v.always.has(cid) || v.window.has(cid) || !inWindow(view, cid, false, s.select)) continue;
    if (v.window.size >= view.cap) {
      s.dirty.add(v);
      break;
    }
    const enter = enterOf(made, cid);
    if (enter === undefined) continue;
    out.push(enter);
    s.holdings.hold(v, cid, false);
  }
  v.arrivals.clear();
  v.lastArrivals = t;
  s.arriving.delete(v);
}

/** Selects the viewer afresh: hides what it no longer holds, enters what it newly holds. */
function reselect(made: Made, v: Viewer, view: ViewSpec, out: ClientBatchEntry[]): void {
  const { holdings } = made.s;
  const s = select(made.s, v, view);
  for (const cid of [...v.always, ...v.window]) {
    if (s.always.has(cid) || s.window.has(cid)) continue;
    out.push(hideOf(made, cid));
    holdings.drop(v, cid);
  }
  for (const [set, always] of [
    [s.always, true],
    [s.window, false],
  ] as const) {
    for (const cid of set) {
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
