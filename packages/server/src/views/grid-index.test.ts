import { type Point, type Rect, rectContains, rectsOverlap } from "@collabblocks/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createGridIndex } from "./grid-index.js";

const coord = fc.double({ min: -1000, max: 1000, noNaN: true });
const point: fc.Arbitrary<Point> = fc.record({ x: coord, y: coord });
const rect: fc.Arbitrary<Rect> = fc
  .tuple(point, fc.double({ min: 0, max: 800, noNaN: true }), fc.double({ min: 0, max: 800, noNaN: true }))
  .map(([p, w, h]) => ({ x0: p.x, y0: p.y, x1: p.x + w, y1: p.y + h }));
const extent = fc.oneof(point, rect);

function overlaps(e: Point | Rect, area: Point | Rect): boolean {
  const a = "x0" in area ? area : { x0: area.x, y0: area.y, x1: area.x, y1: area.y };
  return "x0" in e ? rectsOverlap(e, a) : rectContains(a, e);
}

describe("createGridIndex", () => {
  it.each([
    ["points and rectangles", extent],
    ["points only (queries without a seen-set)", point],
  ] as const)(
    "finds every key whose extent overlaps the query, once, after any sequence of moves and removals (%s)",
    (_, extents: fc.Arbitrary<Point | Rect>) => {
      fc.assert(
        fc.property(
          fc.double({ min: 1, max: 300, noNaN: true }),
          fc.array(fc.tuple(fc.integer({ min: 0, max: 15 }), fc.option(extents, { nil: undefined })), {
            maxLength: 80,
          }),
          fc.array(fc.oneof(point, rect), { minLength: 1, maxLength: 3 }),
          (cellSize, moves, areas) => {
            const index = createGridIndex<number>(cellSize, 64);
            const truth = new Map<number, Point | Rect>();
            for (const [key, e] of moves) {
              index.set(key, e);
              if (e === undefined) truth.delete(key);
              else truth.set(key, e);
            }
            // Several queries in a row: what one query marked as visited must not hide a key from the next.
            for (const area of areas) {
              const found = new Set<number>();
              index.query(area, (k, at) => {
                expect(found.has(k), `key ${k} visited twice`).toBe(false);
                expect(at).toBe(truth.get(k));
                found.add(k);
              });
              for (const [key, e] of truth)
                if (overlaps(e, area)) expect(found.has(key), `key ${key}`).toBe(true);
              for (const key of found) expect(truth.has(key)).toBe(true);
            }
            expect(index.size).toBe(truth.size);
          },
        ),
        { numRuns: 500 },
      );
    },
  );

  it("keeps an extent wider than its cell budget out of the cells and still finds it", () => {
    const index = createGridIndex<string>(1, 16);
    index.set("huge", { x0: 0, y0: 0, x1: 1000, y1: 1000 });
    index.set("dot", { x: 5, y: 5 });
    const seen: string[] = [];
    index.query({ x: 5, y: 5 }, (k) => seen.push(k));
    expect(seen.sort()).toEqual(["dot", "huge"]);
    index.delete("huge");
    expect(index.has("huge")).toBe(false);
  });

  it("visits each key once in a query run from inside another query's visitor, and the outer query too", () => {
    const index = createGridIndex<string>(10);
    for (let i = 0; i < 20; i++) index.set(`w${i}`, { x0: i, y0: 0, x1: i + 25, y1: 25 });
    const area = { x0: 0, y0: 0, x1: 50, y1: 50 };
    const outer: string[] = [];
    index.query(area, (k) => {
      outer.push(k);
      const inner: string[] = [];
      index.query(area, (j) => inner.push(j));
      expect(inner.sort()).toEqual([...new Set(inner)].sort());
      expect(inner).toHaveLength(20);
    });
    expect(outer).toHaveLength(20);
    expect(new Set(outer).size).toBe(20);
  });

  it("refuses a cell size that is not a positive finite number", () => {
    expect(() => createGridIndex(0)).toThrow(RangeError);
    expect(() => createGridIndex(Number.NaN)).toThrow(RangeError);
  });
});
