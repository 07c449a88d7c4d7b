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
  readonly always: Set<string>;
  readonly window: Set<string>;
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
  /** The viewer no longer holds `cid`. */
  drop(v: Viewer, cid: string): void;
  /** The viewer holds nothing. */
  dropAll(v: Viewer): void;
  /** The viewers holding `cid`, each with whether it holds it `always` (undefined: none). */
  holders(cid: string): ReadonlyMap<Viewer, boolean> | undefined;
}

const newHolders = (): Map<Viewer, boolean> => new Map();

export function createViewHoldings(): ViewHoldings {
  const heldBy = new Map<string, Map<Viewer, boolean>>();

  function drop(v: Viewer, cid: string): void {
    v.always.delete(cid);
    v.window.delete(cid);
    const holders = heldBy.get(cid);
    holders?.delete(v);
    if (holders?.size === 0) heldBy.delete(cid);
  }

  return {
    hold(v, cid, always) {
      (always ? v.always : v.window).add(cid);
      (always ? v.window : v.always).delete(cid);
      entryOf(heldBy, cid, newHolders).set(v, always);
    },
    drop,
    dropAll(v) {
      for (const cid of [...v.always, ...v.window]) drop(v, cid);
    },
    holders: (cid) => heldBy.get(cid),
  };
}
