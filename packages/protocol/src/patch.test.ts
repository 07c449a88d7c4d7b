import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyPatch, compareVersions, composePatches, patchFromPartial } from "./patch.js";
import type { Patch, PresenceData } from "./presence-types.js";
import { sameValue } from "./test-arbitraries.js";

const KEYS = ["cursor", "status", "a", "__proto__"];
const patch: fc.Arbitrary<Patch> = fc
  .record({ set: fc.dictionary(fc.constantFrom(...KEYS), fc.integer()), del: fc.subarray(KEYS) })
  .map(({ set, del }) => ({ set: set as PresenceData, del: del.filter((k) => !Object.hasOwn(set, k)) }));

describe("patches", () => {
  it("merges top-level keys shallowly and replaces nested objects whole", () => {
    const state = { cursor: { x: 0.1, y: 0.2 }, meta: { a: 1, b: 2 } };
    expect(applyPatch(state, { set: { meta: { c: 3 } }, del: [] })).toEqual({
      cursor: { x: 0.1, y: 0.2 },
      meta: { c: 3 },
    });
  });

  it("deletes the keys of the delete list and keeps null as a value", () => {
    expect(
      applyPatch({ cursor: { x: 0, y: 0 }, status: "idle" }, { set: { cursor: null }, del: ["status"] }),
    ).toEqual({
      cursor: null,
    });
  });

  it("does not modify the state it is given", () => {
    const state = { status: "idle" };
    applyPatch(state, { set: { status: "editing" }, del: [] });
    expect(state).toEqual({ status: "idle" });
  });

  it("sets __proto__ as an own key without changing the prototype", () => {
    const out = applyPatch({}, { set: JSON.parse('{"__proto__": 1}'), del: [] });
    expect(Object.keys(out)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  it("composes two patches into one with the same effect as applying both", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...KEYS), fc.integer()), patch, patch, (s, a, b) => {
        const state = s as PresenceData;
        expect(sameValue(applyPatch(state, composePatches(a, b)), applyPatch(applyPatch(state, a), b))).toBe(
          true,
        );
      }),
    );
  });

  it("turns undefined into an explicit delete and never puts undefined in set", () => {
    expect(patchFromPartial({ cursor: undefined, status: "x" })).toEqual({
      set: { status: "x" },
      del: ["cursor"],
    });
  });

  it("orders versions by epoch, then clock", () => {
    expect(compareVersions({ epoch: 2, clock: 0 }, { epoch: 1, clock: 99 })).toBeGreaterThan(0);
    expect(compareVersions({ epoch: 1, clock: 3 }, { epoch: 1, clock: 4 })).toBeLessThan(0);
    expect(compareVersions({ epoch: 1, clock: 4 }, { epoch: 1, clock: 4 })).toBe(0);
  });
});
