// What each filtered connection holds (PROTOCOL.md §8), and the reverse: which
// connections hold each member, so an entry about a member reaches only the
// connections that hold it (room-views.ts routes through both). A member is held
// either `always` (self, pinned user, roster) or by the `window`, never both.
// The reverse map names the holding viewers themselves and how each holds the
// member, so routing an entry to its holders looks nothing up per holder (two
// set probes and a map lookup per holder were most of L1's routing: each touches
// another viewer's memory).
import type { ViewSpec } from "@collabblocks/protocol";
import { entryOf } from "./map-entry.js";

/** One local connection's view and what it holds. */
export interface Viewer {
  readonly cid: string;
  /** What the connection declared; undefined = the room's default. */
  declared: ViewSpec | undefined;
  /** Filtered view in force; undefined = everyone. */
  view: ViewSpec | undefined;
  /** Held always (self, pinned, roster); replaced whole by ViewHoldings.adopt. */
  always: Set<string>;
  /** Held by the window; replaced whole by ViewHoldings.adopt. */
  window: Set<string>;
  /** Members its window matched beyond its cap, at its last selection. */
  omitted: number;
  /** When it was last selected (−∞: never, or a declared change waiting). */
  lastSelect: number;
  /** Members that came into its window in a large room, entered at its next arrivals pass (view-routing.ts). */
  readonly arrivals: Set<string>;
  /** Has a member moved into its window since its last pass (not only joined there)? Its pass is then sooner. */
  moverArrived: boolean;
  /** When its last arrivals pass ran (−∞: never). */
  lastArrivals: number;
  /** Marks the offer that last reached it as a holder (view-routing.ts offer). */
  offered: number;
}

export function createViewer(cid: string, declared: ViewSpec | undefined): Viewer {
  return {
    cid,
    declared,
    view: undefined,
    always: new Set(),
    window: new Set(),
    omitted: 0,
    lastSelect: Number.NEGATIVE_INFINITY,
    arrivals: new Set(),
    moverArrived: false,
    offered: 0,
    lastArrivals: Number.NEGATIVE_INFINITY,
  };
}

export interface ViewHoldings {
  /** The viewer holds `cid` (moved between always and window when it was held the other way). */
  hold(v: Viewer, cid: string, always: boolean): void;
  /**
   * The viewer, holding nothing, holds a selection's members: its sets become what the
   * viewer holds, not copied (a join snapshot's ~cap members added one by one were a
   * tenth of the views' share of L1's join storm, bench/views-joins.mjs).
   */
  adopt(v: Viewer, always: Set<string>, window: Set<string>): void;
  /** The viewer no longer holds `cid`. */
  drop(v: Viewer, cid: string): void;
  /** The viewer holds nothing. */
  dropAll(v: Viewer): void;
  /** The viewers holding `cid` (undefined: none). */
  holders(cid: string): Holders | undefined;
}

/**
 * The viewers holding one member, by how they hold it. Two sets, not one map of
 * viewer to how: a set's add was a quarter cheaper than a map's set, and a hold is
 * most of what a join costs the views (bench/views-joins.mjs).
 */
export interface Holders {
  readonly always: ReadonlySet<Viewer>;
  readonly window: ReadonlySet<Viewer>;
}

interface HolderSets extends Holders {
  readonly always: Set<Viewer>;
  readonly window: Set<Viewer>;
}

const newHolders = (): HolderSets => ({ always: new Set(), window: new Set() });

export function createViewHoldings(): ViewHoldings {
  const heldBy = new Map<string, HolderSets>();

  function drop(v: Viewer, cid: string): void {
    v.always.delete(cid);
    v.window.delete(cid);
    const holders = heldBy.get(cid);
    if (holders === undefined) return;
    holders.always.delete(v);
    holders.window.delete(v);
    if (holders.always.size === 0 && holders.window.size === 0) heldBy.delete(cid);
  }

  return {
    hold(v, cid, always) {
      const holders = entryOf(heldBy, cid, newHolders);
      if (always) {
        v.always.add(cid);
        holders.always.add(v);
        if (v.window.delete(cid)) holders.window.delete(v);
      } else {
        v.window.add(cid);
        holders.window.add(v);
        if (v.always.delete(cid)) holders.always.delete(v);
      }
    },
    adopt(v, always, window) {
      if (v.always.size > 0 || v.window.size > 0) throw new Error("adopt: the viewer still holds members");
      v.always = always;
      v.window = window;
      for (const cid of always) entryOf(heldBy, cid, newHolders).always.add(v);
      for (const cid of window) entryOf(heldBy, cid, newHolders).window.add(v);
    },
    drop,
    dropAll(v) {
      for (const cid of [...v.always, ...v.window]) drop(v, cid);
    },
    holders: (cid) => heldBy.get(cid),
  };
}
