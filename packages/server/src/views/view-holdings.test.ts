import { describe, expect, it } from "vitest";
import { createViewer, createViewHoldings } from "./view-holdings.js";

describe("view holdings", () => {
  it("records what a viewer holds and who holds each member, both ways", () => {
    const h = createViewHoldings();
    const a = createViewer("a", undefined);
    const b = createViewer("b", undefined);
    h.hold(a, "m", false);
    h.hold(b, "m", true);
    const holders = (): { always: string[]; window: string[] } => ({
      always: [...(h.holders("m")?.always ?? [])].map((v) => v.cid),
      window: [...(h.holders("m")?.window ?? [])].map((v) => v.cid),
    });
    expect(holders()).toEqual({ always: ["b"], window: ["a"] });
    expect([...a.window]).toEqual(["m"]);
    expect([...b.always]).toEqual(["m"]);
    h.drop(a, "m");
    expect(holders()).toEqual({ always: ["b"], window: [] });
    expect(a.window.size).toBe(0);
    h.hold(b, "m", false); // held the other way now: moved, not held twice
    expect([...b.window]).toEqual(["m"]);
    expect(holders()).toEqual({ always: [], window: ["b"] });
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

  it("takes a selection's sets as what a viewer that holds nothing holds, and refuses one that holds members", () => {
    const h = createViewHoldings();
    const v = createViewer("v", undefined);
    const always = new Set(["v"]);
    const window = new Set(["m1", "m2"]);
    h.adopt(v, always, window);
    expect(v.always).toBe(always);
    expect(v.window).toBe(window);
    expect([...(h.holders("m1")?.window ?? [])]).toEqual([v]);
    expect([...(h.holders("v")?.always ?? [])]).toEqual([v]);
    expect(() => h.adopt(v, new Set(), new Set())).toThrow(/still holds/);
    h.dropAll(v);
    expect(h.holders("m1")).toBeUndefined();
  });
});
