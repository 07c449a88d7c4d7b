// Which members one view selects (PROTOCOL.md §8): self, the pinned users'
// connections, the roster sample, and up to `cap` members inside the window —
// the most recently active when more are inside. An entry already held stays
// while it is inside the window grown by the margin (no flapping on the border).
// Cost: O(roster + pinned + members in the window), never O(room).
import {
  type Point,
  positionOf,
  type Rect,
  rectContains,
  type ViewSpec,
  withMargin,
} from "@collabblocks/protocol";
import type { RoomMembers } from "./room-members.js";

export interface Selection {
  /** Selected by self, pinned or roster: always sent. */
  readonly always: Set<string>;
  /** Selected by the window (at most `cap`). */
  readonly window: Set<string>;
  /** Members the window matched beyond the cap. */
  readonly omitted: number;
}

/** Cell size for a field's index, from the first window seen on it: about 4 × 4 cells per window. */
export function cellSizeFor(rect: Rect): number {
  const side = Math.max(rect.x1 - rect.x0, rect.y1 - rect.y0) / 4;
  return side > 0 && Number.isFinite(side) ? side : 1;
}

export interface SelectContext {
  readonly members: RoomMembers;
  readonly stateOf: (cid: string) => { readonly state: Record<string, unknown> } | undefined;
}

/**
 * What routing needs to know of one member, read once per entry however many
 * viewers it is offered to (routing costs entries × interested viewers; these
 * lookups were most of it).
 */
export interface MemberFacts {
  readonly cid: string;
  readonly userId: string | undefined;
  /** When it entered the room (RoomMembers' clock), undefined when not a member. */
  readonly joinedAt: number | undefined;
  readonly rank: number | undefined;
  readonly state: Record<string, unknown> | undefined;
  /**
   * The position in the field last asked for (a room's views nearly always share one
   * field): read once per entry, not looked up in a map per viewer offered it.
   */
  posField: string | undefined;
  pos: Point | undefined;
}

export function memberFacts(cid: string, ctx: SelectContext): MemberFacts {
  const member = ctx.members.get(cid);
  return {
    cid,
    userId: member?.userId,
    joinedAt: member?.joinedAt,
    rank: ctx.members.rosterRank(cid),
    state: ctx.stateOf(cid)?.state,
    posField: undefined,
    pos: undefined,
  };
}

/** Is the member always sent to `viewer` under `view` (self, pinned user, roster)? */
export function isAlwaysFor(view: ViewSpec, viewer: string, f: MemberFacts): boolean {
  if (f.cid === viewer) return true;
  if (f.userId === undefined) return false;
  if (view.pinned.length > 0 && view.pinned.includes(f.userId)) return true;
  return f.rank !== undefined && f.rank < view.roster;
}

const margins = new WeakMap<Rect, Rect>();
/** The window grown by the margin, computed once per window. */
function marginOf(rect: Rect): Rect {
  let m = margins.get(rect);
  if (m === undefined) {
    m = withMargin(rect);
    margins.set(rect, m);
  }
  return m;
}

/** inWindow from the member's facts. */
export function inWindowFor(view: ViewSpec, f: MemberFacts, held: boolean): boolean {
  if (view.rect === null || f.state === undefined) return false;
  if (f.posField !== view.field) {
    f.posField = view.field;
    f.pos = positionOf(f.state as never, view.field);
  }
  const p = f.pos;
  if (p === undefined) return false;
  return rectContains(view.rect, p) || (held && rectContains(marginOf(view.rect), p));
}

/** Inside the window, or held and inside the margin? */
export function inWindow(view: ViewSpec, cid: string, held: boolean, ctx: SelectContext): boolean {
  if (view.rect === null) return false;
  const state = ctx.stateOf(cid)?.state;
  const p = state === undefined ? undefined : positionOf(state as never, view.field);
  if (p === undefined) return false;
  return rectContains(view.rect, p) || (held && rectContains(withMargin(view.rect), p));
}

export function selectView(
  view: ViewSpec,
  viewer: string,
  heldWindow: ReadonlySet<string>,
  ctx: SelectContext,
): Selection {
  const { members } = ctx;
  const always = new Set<string>();
  if (members.get(viewer) !== undefined) always.add(viewer);
  for (const userId of view.pinned) for (const cid of members.connectionsOf(userId) ?? []) always.add(cid);
  for (const cid of members.roster(view.roster)) always.add(cid);
  const window = new Set<string>();
  if (view.rect === null || view.cap === 0) return { always, window, omitted: 0 };
  const candidates: string[] = [];
  const index = members.index(view.field, cellSizeFor(view.rect));
  const { rect } = view;
  const margin = marginOf(rect);
  // The index hands over each member's position (the one inWindow would read from its
  // state). The margin counts only for what the window holds: a new viewer (a join)
  // looks at its window alone, a third fewer cells.
  index.query(heldWindow.size === 0 ? rect : margin, (cid, at) => {
    if (always.has(cid) || "x0" in at) return;
    if (rectContains(rect, at) || (rectContains(margin, at) && heldWindow.has(cid))) candidates.push(cid);
  });
  const taken = Math.min(view.cap, candidates.length);
  const chosen = candidates.length > view.cap ? byActivity(candidates, members) : candidates;
  for (let i = 0; i < taken; i++) window.add(chosen[i] as string);
  return { always, window, omitted: candidates.length - taken };
}

/** A member and when it was last active: what the cap ranks members by. */
export interface Ranked {
  readonly cid: string;
  readonly active: number;
}

/** A member's rank (last active 0 when it is not a member). */
export const rankOf = (cid: string, members: Pick<RoomMembers, "get">): Ranked => ({
  cid,
  active: members.get(cid)?.lastActive ?? 0,
});

/** The cap's order (PROTOCOL.md §8): most recently active first; on a tie, the smaller id. */
export const byRecentActivity = (a: Ranked, b: Ranked): number =>
  b.active - a.active || (a.cid < b.cid ? -1 : a.cid > b.cid ? 1 : 0);

/**
 * Up to this many, leastActive keeps the last-ranked members by insertion; beyond it, it
 * sorts them all. Insertion costs about members + k² ln(members / k) steps, a sort
 * members × log2(members): for a window of 100 they meet near k = 16, and 8 keeps
 * insertion well ahead.
 */
const LEAST_ACTIVE_INSERTION_MAX = 8;

/**
 * The `k` members of `cids` that rank last in the cap's order, the last first: the
 * first `k` of a sort by byRecentActivity reversed, without sorting all of them. A
 * full window's arrivals pass (view-routing.ts displace) needs only as many as it has
 * arrivals, usually a few of the window's ~cap members; sorting the whole window at
 * each pass was a third of the ~0.36 s flush that settles L1's join storm
 * (docs/BENCHMARKS.md, session 14).
 */
export function leastActive(cids: Iterable<string>, k: number, members: Pick<RoomMembers, "get">): Ranked[] {
  const last: Ranked[] = [];
  if (k <= 0) return last;
  if (k > LEAST_ACTIVE_INSERTION_MAX) {
    // Many arrivals at once: keeping them in order by insertion costs more than one sort.
    const all = [...cids].map((cid) => rankOf(cid, members)).sort((a, b) => byRecentActivity(b, a));
    return all.slice(0, k);
  }
  for (const cid of cids) {
    const r = rankOf(cid, members);
    if (last.length === k) {
      // The kept member that ranks first; a candidate ranking before it is not among the last k.
      if (byRecentActivity(r, last[k - 1] as Ranked) < 0) continue;
      last.pop();
    }
    let i = last.length;
    // Insertion keeps `last` ordered last-ranked first (k is small: a few arrivals).
    while (i > 0 && byRecentActivity(last[i - 1] as Ranked, r) < 0) i--;
    last.splice(i, 0, r);
  }
  return last;
}

/**
 * The members in the cap's order. Read only when the cap chooses, once per
 * candidate, not twice per comparison (re-selection was 12 % of L1's join storm).
 */
function byActivity(cids: readonly string[], members: RoomMembers): string[] {
  return cids
    .map((cid) => rankOf(cid, members))
    .sort(byRecentActivity)
    .map((r) => r.cid);
}
