import {
  type BatchEntry,
  LARGE_ROOM_DEFAULT_VIEW,
  type PeerState,
  type ViewSpec,
} from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { createViewer } from "./view-holdings.js";
import { createViewRouter, RESELECT_MS } from "./view-routing.js";
import { applyView, createViewsState } from "./views-state.js";

/** A 100 × 100 window holding up to 10, nothing else. */
const WINDOW: ViewSpec = {
  ...LARGE_ROOM_DEFAULT_VIEW,
  rect: { x0: 0, y0: 0, x1: 100, y1: 100 },
  cap: 10,
  roster: 0,
};

function setup() {
  const clock = { t: 1000 };
  const states = new Map<string, PeerState>();
  const s = createViewsState({
    largeRoomThreshold: 100,
    stateOf: (cid) => states.get(cid),
    now: () => clock.t,
  });
  const router = createViewRouter(s);
  const viewer = (cid: string, view: ViewSpec | undefined) => {
    const v = createViewer(cid, view);
    s.viewers.set(cid, v);
    applyView(s, v);
    return v;
  };
  const at = (cid: string, x: number, clockValue = 1): BatchEntry => {
    const p: PeerState = {
      connectionId: cid,
      userId: cid,
      info: undefined,
      epoch: 1,
      clock: clockValue,
      state: { cursor: { x, y: 50 } },
    };
    states.set(cid, p);
    s.members.upsert(p, clock.t);
    return {
      kind: "update",
      connectionId: cid,
      epoch: 1,
      base: clockValue - 1,
      clock: clockValue,
      set: { cursor: { x, y: 50 } },
      del: [],
    };
  };
  const leave = (cid: string): BatchEntry => {
    states.delete(cid);
    s.members.remove(cid);
    return { kind: "leave", connectionId: cid, epoch: 1, clock: 9, reason: "left" };
  };
  return { s, router, viewer, at, leave, clock };
}

describe("view routing", () => {
  it("routes nothing when every viewer sees everyone", () => {
    const { router, viewer, at } = setup();
    viewer("a", undefined);
    expect(router.route([at("m", 10)]).size).toBe(0);
  });

  it("sends an enter when a member comes into the window, its entries while held, a hide when it goes out", () => {
    const { router, viewer, at } = setup();
    viewer("a", WINDOW);
    expect(router.route([at("m", 10)]).get("a")).toMatchObject([{ kind: "enter", connectionId: "m" }]);
    const inside = at("m", 20, 2);
    expect(router.route([inside]).get("a")).toEqual([inside]);
    expect(router.route([at("m", 500, 3)]).get("a")).toEqual([{ kind: "hide", connectionId: "m" }]);
    expect(router.route([at("m", 600, 4)]).get("a")).toBeUndefined();
  });

  it("passes a held member's leave and forgets it", () => {
    const { s, router, viewer, at, leave } = setup();
    const a = viewer("a", WINDOW);
    router.route([at("m", 10)]);
    const gone = leave("m");
    expect(router.route([gone]).get("a")).toEqual([gone]);
    expect(a.window.has("m")).toBe(false);
    expect(s.holdings.holders("m")).toBeUndefined();
  });

  it("offers an entry once to each viewer, holder or not, and a holder that leaves gets one hide", () => {
    const { router, viewer, at } = setup();
    viewer("a", WINDOW);
    viewer("b", { ...WINDOW, rect: { x0: 0, y0: 0, x1: 1000, y1: 100 } });
    router.route([at("m", 10)]); // both hold m now
    const move = at("m", 20, 2);
    const routed = router.route([move]);
    expect(routed.get("a")).toEqual([move]);
    expect(routed.get("b")).toEqual([move]);
    // Out of a's window (into a grid cell a's window still touches) but inside b's.
    const out = at("m", 140, 3);
    const after = router.route([out]);
    expect(after.get("a")).toEqual([{ kind: "hide", connectionId: "m" }]);
    expect(after.get("b")).toEqual([out]);
  });

  it("makes one enter object per member however many viewers get it (encoded once by the edge)", () => {
    const { router, viewer, at } = setup();
    viewer("a", WINDOW);
    viewer("b", WINDOW);
    const routed = router.route([at("m", 10)]);
    expect(routed.get("a")?.[0]).toBe(routed.get("b")?.[0]);
  });

  it("re-selects a viewer over its cap no sooner than RESELECT_MS after its last selection", () => {
    const { s, router, viewer, at, clock } = setup();
    const a = viewer("a", { ...WINDOW, cap: 1 });
    router.route([at("m1", 10)]);
    a.lastSelect = clock.t; // as a snapshot's selection would
    clock.t += 10;
    router.route([at("m2", 20)]); // over the cap: marked for re-selection, the newest wins
    expect(s.dirty.has(a)).toBe(true);
    clock.t += RESELECT_MS - 11;
    router.route([]);
    expect(s.dirty.has(a)).toBe(true);
    clock.t += 1;
    const routed = router.route([]);
    expect(s.dirty.has(a)).toBe(false);
    expect(routed.get("a")).toEqual([
      { kind: "hide", connectionId: "m1" },
      expect.objectContaining({ kind: "enter", connectionId: "m2" }),
    ]);
  });
});
