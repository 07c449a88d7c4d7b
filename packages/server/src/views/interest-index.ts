// Where the room's viewers look (PROTOCOL.md §8): their windows in a grid index
// per position field, who pins which user, who holds a roster sample, and who
// sees everyone. It answers "which filtered viewers may want an entry about this
// member?" in O(interested viewers), never O(room) — the reason routing scales
// (room-views.ts). What a viewer already holds is view-holdings.ts's part.
import {
  type PeerState,
  positionOf,
  type Rect,
  rectContains,
  type ViewSpec,
  withMargin,
} from "@collabblocks/protocol";
import { createGridIndex, type GridIndex } from "./grid-index.js";
import { entryOf } from "./map-entry.js";
import type { RoomMembers } from "./room-members.js";
import { cellSizeFor } from "./select-view.js";

/**
 * K: a viewer, as its owner keeps it. Windows and pins hold the viewer itself, so a
 * visit hands it over without a lookup by id (one per visited viewer per entry).
 */
export interface InterestIndex<K extends { readonly cid: string }> {
  /** Files the viewer under its view in force (undefined: it sees everyone), replacing where it was. */
  place(viewer: K, view: ViewSpec | undefined): void;
  /** Forgets the viewer. */
  remove(viewer: K): void;
  /** The viewers that see everyone (served by the room's shared frame). */
  readonly everyone: ReadonlySet<string>;
  /** The viewers holding a roster sample (a roster change re-selects them). */
  readonly rosterViewers: ReadonlySet<K>;
  /**
   * Visits the viewers whose window (grown by its margin) contains the member, that
   * pin its user, or (it being in the roster) hold a roster; a viewer may be visited
   * more than once (the caller marks whom it has seen).
   */
  collect(cid: string, state: PeerState["state"] | undefined, visit: (viewer: K) => void): void;
}

export function createInterestIndex<K extends { readonly cid: string }>(
  members: RoomMembers,
): InterestIndex<K> {
  const windows = new Map<string, GridIndex<K>>();
  const pinners = new Map<string, Set<K>>();
  const rosterViewers = new Set<K>();
  const everyone = new Set<string>();

  function unplace(viewer: K): void {
    for (const w of windows.values()) w.delete(viewer);
    for (const set of pinners.values()) set.delete(viewer);
    rosterViewers.delete(viewer);
  }

  return {
    place(viewer, view) {
      unplace(viewer);
      if (view === undefined) {
        everyone.add(viewer.cid);
        return;
      }
      everyone.delete(viewer.cid);
      if (view.rect !== null) {
        const rect = view.rect;
        entryOf(windows, view.field, () => createGridIndex<K>(cellSizeFor(rect))).set(
          viewer,
          withMargin(rect),
        );
      }
      for (const userId of view.pinned) entryOf(pinners, userId, () => new Set<K>()).add(viewer);
      if (view.roster > 0) rosterViewers.add(viewer);
    },
    remove(viewer) {
      unplace(viewer);
      everyone.delete(viewer.cid);
    },
    everyone,
    rosterViewers,
    collect(cid, state, visit) {
      if (state !== undefined) {
        for (const [field, w] of windows) {
          const p = positionOf(state, field);
          // A cell holds every window that overlaps it: only those that contain the point
          // are visited (about a third of a cell's windows in L1 did not).
          if (p !== undefined)
            w.query(p, (viewer, extent) => rectContains(extent as Rect, p) && visit(viewer));
        }
      }
      const userId = members.get(cid)?.userId;
      const pinning = userId === undefined ? undefined : pinners.get(userId);
      if (pinning !== undefined) for (const viewer of pinning) visit(viewer);
      if (members.rosterRank(cid) !== undefined) for (const viewer of rosterViewers) visit(viewer);
    },
  };
}
