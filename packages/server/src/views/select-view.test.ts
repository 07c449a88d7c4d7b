import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { byRecentActivity, leastActive, type Ranked } from "./select-view.js";

/** Members by id with a last-active time; ids not in it rank with 0, as rankOf does. */
function membersOf(active: ReadonlyMap<string, number>) {
  return {
    get: (cid: string) => {
      const lastActive = active.get(cid);
      return lastActive === undefined ? undefined : { cid, userId: cid, lastActive, joinedAt: 0 };
    },
  };
}

describe("leastActive", () => {
  it("is the first k of the cap's order reversed, for any window and any k", () => {
    fc.assert(
      fc.property(
        // Few distinct times, so ties (broken by id) are common; some ids are not members.
        fc.uniqueArray(fc.tuple(fc.string({ maxLength: 3 }), fc.option(fc.integer({ min: 0, max: 5 }))), {
          selector: ([cid]) => cid,
          maxLength: 40,
        }),
        // Both ways of choosing: by insertion (a few arrivals) and by sorting (many).
        fc.oneof(fc.integer({ min: -1, max: 10 }), fc.integer({ min: 0, max: 45 })),
        (window, k) => {
          const active = new Map<string, number>();
          for (const [cid, t] of window) if (t !== null) active.set(cid, t);
          const cids = window.map(([cid]) => cid);
          const sorted: Ranked[] = cids
            .map((cid) => ({ cid, active: active.get(cid) ?? 0 }))
            .sort((a, b) => byRecentActivity(b, a));
          expect(leastActive(cids, k, membersOf(active))).toEqual(sorted.slice(0, Math.max(0, k)));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("keeps the least recently active, the least first, and on a tie the larger id", () => {
    const active = new Map([
      ["a", 5],
      ["b", 1],
      ["c", 3],
      ["d", 1],
    ]);
    expect(leastActive(["a", "b", "c", "d"], 2, membersOf(active)).map((r) => r.cid)).toEqual(["d", "b"]);
  });
});
