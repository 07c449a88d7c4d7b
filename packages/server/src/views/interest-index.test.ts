import type { PeerState, ViewSpec } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { createInterestIndex } from "./interest-index.js";
import { createRoomMembers } from "./room-members.js";

const peer = (cid: string, userId: string, x: number): PeerState => ({
  connectionId: cid,
  userId,
  info: undefined,
  epoch: 1,
  clock: 1,
  state: { cursor: { x, y: 10 } },
});
const view = (over: Partial<ViewSpec>): ViewSpec => ({
  everyone: false,
  rect: null,
  field: "cursor",
  pinned: [],
  cap: 10,
  roster: 0,
  ...over,
});

function setup() {
  const states = new Map<string, PeerState>();
  const members = createRoomMembers((cid) => states.get(cid));
  const add = (p: PeerState) => {
    states.set(p.connectionId, p);
    members.upsert(p, 0);
  };
  const interest = createInterestIndex<{ readonly cid: string }>(members);
  // One object per viewer, as the room keeps its viewers.
  const viewers = new Map<string, { readonly cid: string }>();
  const v = (cid: string) => {
    let viewer = viewers.get(cid);
    if (viewer === undefined) {
      viewer = { cid };
      viewers.set(cid, viewer);
    }
    return viewer;
  };
  const collect = (cid: string) => {
    const into = new Set<string>();
    interest.collect(cid, states.get(cid)?.state, (viewer) => void into.add(viewer.cid));
    return [...into].sort();
  };
  return { add, interest, collect, v };
}

describe("interest index", () => {
  it("finds the viewers whose window contains a member's position, and no others", () => {
    const { add, interest, collect, v } = setup();
    add(peer("m", "u", 10));
    add(peer("far", "u2", 500));
    interest.place(v("w"), view({ rect: { x0: 0, y0: 0, x1: 50, y1: 50 } }));
    expect(collect("m")).toEqual(["w"]);
    expect(collect("far")).toEqual([]);
  });

  it("visits a window only when its margin contains the point, not every window of the point's cell", () => {
    const { add, interest, collect, v } = setup();
    // Cells are a quarter of the first window (12.5): x = 60 shares a cell with the
    // window's margin (x ≤ 55) but lies outside it; x = 54 lies inside it.
    add(peer("past", "u", 60));
    add(peer("edge", "u2", 54));
    interest.place(v("w"), view({ rect: { x0: 0, y0: 0, x1: 50, y1: 50 } }));
    expect(collect("past")).toEqual([]);
    expect(collect("edge")).toEqual(["w"]);
  });

  it("finds the viewers pinning the member's user and, for a roster member, every roster viewer", () => {
    const { add, interest, collect, v } = setup();
    add(peer("m", "u", 10));
    interest.place(v("pin"), view({ pinned: ["u"] }));
    interest.place(v("ros"), view({ roster: 1 }));
    expect(collect("m")).toEqual(["pin", "ros"]);
    expect([...interest.rosterViewers].map((r) => r.cid)).toEqual(["ros"]);
  });

  it("keeps everyone-viewers apart, re-files a viewer whose view changed, and forgets a removed one", () => {
    const { add, interest, collect, v } = setup();
    add(peer("m", "u", 10));
    interest.place(v("v"), undefined);
    expect([...interest.everyone]).toEqual(["v"]);
    expect(collect("m")).toEqual([]);
    interest.place(v("v"), view({ pinned: ["u"] }));
    expect(interest.everyone.size).toBe(0);
    expect(collect("m")).toEqual(["v"]);
    interest.place(v("v"), view({ rect: { x0: 400, y0: 0, x1: 450, y1: 50 } }));
    expect(collect("m")).toEqual([]);
    interest.remove(v("v"));
    expect(interest.everyone.size).toBe(0);
    expect(collect("m")).toEqual([]);
  });
});
