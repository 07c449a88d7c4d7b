// What each filtered connection holds (PROTOCOL.md §8), and the reverse: which
// connections hold each member, so an entry about a member reaches only the
// connections that hold it (room-views.ts routes through both). A member is held
// either `always` (self, pinned user, roster) or by the `window`, never both.
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
  /** The connections holding `cid` (undefined: none). */
  holders(cid: string): ReadonlySet<string> | undefined;
}

export function createViewHoldings(): ViewHoldings {
  const heldBy = new Map<string, Set<string>>();

  function drop(v: Viewer, cid: string): void {
    v.always.delete(cid);
    v.window.delete(cid);
    const set = heldBy.get(cid);
    set?.delete(v.cid);
    if (set?.size === 0) heldBy.delete(cid);
  }

  return {
    hold(v, cid, always) {
      (always ? v.always : v.window).add(cid);
      (always ? v.window : v.always).delete(cid);
      entryOf(heldBy, cid, () => new Set<string>()).add(v.cid);
    },
    drop,
    dropAll(v) {
      for (const cid of [...v.always, ...v.window]) drop(v, cid);
    },
    holders: (cid) => heldBy.get(cid),
  };
}
