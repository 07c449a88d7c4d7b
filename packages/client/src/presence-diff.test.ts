import { applyPatch } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { diffStates, effectivePatch, isEmptyPatch, splitPatch } from "./presence-diff.js";

describe("presence diff helpers", () => {
  it("diffStates yields the patch that turns one state into the other", () => {
    const from = { a: 1, b: { x: 1 }, c: "gone" };
    const to = { a: 1, b: { x: 2 }, d: null };
    const patch = diffStates(from, to);
    expect(patch).toEqual({ set: { b: { x: 2 }, d: null }, del: ["c"] });
    expect(applyPatch(from, patch)).toEqual(to);
  });

  it("effectivePatch drops sets of equal values and deletes of absent keys", () => {
    expect(effectivePatch({ a: 1, b: 2 }, { set: { a: 1, b: 3 }, del: ["z"] })).toEqual({
      set: { b: 3 },
      del: [],
    });
    expect(isEmptyPatch(effectivePatch({ a: [1] }, { set: { a: [1] }, del: [] }))).toBe(true);
  });

  it("splitPatch separates the cursor from the rest, deletes included", () => {
    const [inside, outside] = splitPatch(
      { set: { cursor: null, status: "x" }, del: ["cursor", "avatar"] },
      new Set(["cursor"]),
    );
    expect(inside).toEqual({ set: { cursor: null }, del: ["cursor"] });
    expect(outside).toEqual({ set: { status: "x" }, del: ["avatar"] });
  });
});
