// A uniform grid over a room's position space: which keys sit near a point, and
// which keys lie in a rectangle, without scanning every key (docs/SCALING.md
// "Large rooms"). Used twice per room: members by position (who is inside a
// window) and views by window (whose window contains a position).
//
// Cells are squares of `cellSize`; a key lives in every cell its extent covers
// (one for a point, several for a rectangle). Extents wider than `maxCells` cells
// go to a `wide` set that every query visits, so a client declaring a huge window
// costs one set entry, not millions of cells.
import type { Point, Rect } from "@collabblocks/protocol";
import { entryOf } from "./map-entry.js";

/** Most cells one extent may occupy before it is kept in the wide set instead. */
export const DEFAULT_MAX_CELLS = 256;
/**
 * Cell coordinates are clamped to ±LIMIT so a cell's key is a small integer (V8's Smi,
 * below 2^30): a Map keyed by larger numbers hashes and stores a heap number, and placing
 * windows in cells was a tenth of the views' share of L1's join storm
 * (bench/views-joins.mjs). Clamping only merges far-away cells into the border ones;
 * queries stay a superset that callers filter by geometry.
 */
const LIMIT = 2 ** 14 - 1;
/** Cells per axis. */
const SIDE = 2 * LIMIT + 1;

export interface GridIndex<K> {
  readonly cellSize: number;
  /** Places `key` at a point or over a rectangle (replacing where it was); undefined removes it. */
  set(key: K, extent: Point | Rect | undefined): void;
  delete(key: K): void;
  has(key: K): boolean;
  /**
   * Visits each key whose cells overlap `area` (a superset of the exact answer: filter
   * by geometry), with the extent it was placed at (visitors need not look it up again).
   */
  query(area: Point | Rect, visit: (key: K, extent: Point | Rect) => void): void;
  readonly size: number;
}

function isRect(e: Point | Rect): e is Rect {
  return "x0" in e;
}

function cell(v: number, size: number): number {
  const c = Math.floor(v / size);
  return Math.max(-LIMIT, Math.min(LIMIT, c));
}

function cellKey(cx: number, cy: number): number {
  return (cx + LIMIT) * SIDE + (cy + LIMIT);
}

interface Span {
  readonly cx0: number;
  readonly cy0: number;
  readonly cx1: number;
  readonly cy1: number;
}

function spanOf(e: Point | Rect, size: number): Span {
  if (isRect(e)) {
    return { cx0: cell(e.x0, size), cy0: cell(e.y0, size), cx1: cell(e.x1, size), cy1: cell(e.y1, size) };
  }
  const cx = cell(e.x, size);
  const cy = cell(e.y, size);
  return { cx0: cx, cy0: cy, cx1: cx, cy1: cy };
}

function spanCells(s: Span): number {
  return (s.cx1 - s.cx0 + 1) * (s.cy1 - s.cy0 + 1);
}

/** A cell's keys and extents (one maker for every cell: map-entry.ts). */
function newCell<K>(): Map<K, Point | Rect> {
  return new Map();
}

export function createGridIndex<K>(cellSize: number, maxCells = DEFAULT_MAX_CELLS): GridIndex<K> {
  if (!(cellSize > 0) || !Number.isFinite(cellSize))
    throw new RangeError("cellSize must be a positive number");
  // Each cell maps its keys to the extents they were placed at.
  const cells = new Map<number, Map<K, Point | Rect>>();
  const wide = new Map<K, Point | Rect>();
  const spans = new Map<K, Span | "wide">();
  // Keys in more than one cell: while there are none (an index of points), a query visits
  // each key once without remembering what it saw (that Set was most of a query's cost).
  let multiCell = 0;

  function remove(key: K): void {
    const span = spans.get(key);
    if (span === undefined) return;
    spans.delete(key);
    if (span === "wide") {
      wide.delete(key);
      return;
    }
    if (spanCells(span) > 1) multiCell--;
    for (let cx = span.cx0; cx <= span.cx1; cx++) {
      for (let cy = span.cy0; cy <= span.cy1; cy++) {
        const k = cellKey(cx, cy);
        const set = cells.get(k);
        if (set === undefined) continue;
        set.delete(key);
        if (set.size === 0) cells.delete(k);
      }
    }
  }

  /** Records the key's extent in every cell of its span. */
  function place(key: K, span: Span, extent: Point | Rect): void {
    for (let cx = span.cx0; cx <= span.cx1; cx++) {
      for (let cy = span.cy0; cy <= span.cy1; cy++) {
        entryOf(cells, cellKey(cx, cy), newCell<K>).set(key, extent);
      }
    }
  }

  return {
    cellSize,
    set(key, extent) {
      const span = extent === undefined ? undefined : spanOf(extent, cellSize);
      const old = spans.get(key);
      if (span !== undefined && old !== undefined && old !== "wide") {
        // A point moving inside its cell (the common case for a cursor) changes no cell's keys.
        if (old.cx0 === span.cx0 && old.cy0 === span.cy0 && old.cx1 === span.cx1 && old.cy1 === span.cy1)
          return place(key, span, extent as Point | Rect);
      }
      remove(key);
      if (span === undefined || extent === undefined) return;
      if (spanCells(span) > maxCells) {
        spans.set(key, "wide");
        wide.set(key, extent);
        return;
      }
      spans.set(key, span);
      if (spanCells(span) > 1) multiCell++;
      place(key, span, extent);
    },
    delete: remove,
    has: (key) => spans.has(key),
    query(area, visit) {
      for (const [key, extent] of wide) visit(key, extent);
      const span = spanOf(area, cellSize);
      // Keys are distinct within a cell, and wide keys are never in cells: with no key in
      // several cells, or a one-cell query, nothing is visited twice.
      const seen =
        multiCell === 0 || (span.cx0 === span.cx1 && span.cy0 === span.cy1) ? undefined : new Set<K>();
      const visitCell = (keys: Map<K, Point | Rect>): void => {
        for (const [key, extent] of keys) {
          if (seen !== undefined) {
            if (seen.has(key)) continue;
            seen.add(key);
          }
          visit(key, extent);
        }
      };
      if (spanCells(span) > cells.size) {
        // A window over more cells than are occupied: walk the occupied ones instead.
        for (const [k, keys] of cells) {
          const cx = Math.floor(k / SIDE) - LIMIT;
          const cy = (k % SIDE) - LIMIT;
          if (cx >= span.cx0 && cx <= span.cx1 && cy >= span.cy0 && cy <= span.cy1) visitCell(keys);
        }
        return;
      }
      for (let cx = span.cx0; cx <= span.cx1; cx++) {
        for (let cy = span.cy0; cy <= span.cy1; cy++) {
          const keys = cells.get(cellKey(cx, cy));
          if (keys !== undefined) visitCell(keys);
        }
      }
    },
    get size() {
      return spans.size;
    },
  };
}
