import { describe, expect, it } from "vitest";
import { createViewer, createViewHoldings } from "./view-holdings.js";

describe("view holdings", () => {
  it("records what a viewer holds and who holds each member, both ways", () => {
    const h = createViewHoldings();
    const a = createViewer("a", undefined);
    const b = createViewer("b", undefined);
    h.hold(a, "m", false);
    h.hold(b, "m", true);
    expect([...(h.holders("m") ?? [])].map(([v, always]) => [v.cid, always])).toEqual([
      ["a", false],
      ["b", true],
    ]);
    expect([...a.window]).toEqual(["m"]);
    expect([...b.always]).toEqual(["m"]);
    h.drop(a, "m");
    expect([...(h.holders("m")?.keys() ?? [])].map((v) => v.cid)).toEqual(["b"]);
    expect(a.window.size).toBe(0);
    h.hold(b, "m", false); // held the other way now: moved, not held twice
    expect([...b.window]).toEqual(["m"]);
    expect(h.holders("m")?.get(b)).toBe(false);
    expect(b.always.size).toBe(0);
  });

  it("forgets a member nobody holds, and drops everything a viewer held", () => {
    const h = createViewHoldings();
    const v = createViewer("v", undefined);
    h.hold(v, "m1", true);
    h.hold(v, "m2", false);
    h.dropAll(v);
    expect(v.always.size + v.window.size).toBe(0);
    expect(h.holders("m1")).toBeUndefined();
    expect(h.holders("m2")).toBeUndefined();
  });
});
