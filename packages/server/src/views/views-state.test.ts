import { LARGE_ROOM_DEFAULT_VIEW, type ViewSpec } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { createViewer } from "./view-holdings.js";
import { applyView, createViewsState, select } from "./views-state.js";

const options = { largeRoomThreshold: 2, stateOf: () => undefined, now: () => 5 };

describe("views state", () => {
  it("puts the declared view in force, or the room's default: everyone while small, the large-room view once large", () => {
    const s = createViewsState(options);
    const v = createViewer("v", undefined);
    applyView(s, v);
    expect(v.view).toBeUndefined();
    expect(s.interest.everyone.has("v")).toBe(true);
    s.large = true;
    applyView(s, v);
    expect(v.view).toBe(LARGE_ROOM_DEFAULT_VIEW);
    expect(s.interest.everyone.has("v")).toBe(false);
  });

  it("keeps a declared everyone view as 'sees everyone'", () => {
    const s = createViewsState(options);
    const declared: ViewSpec = { ...LARGE_ROOM_DEFAULT_VIEW, everyone: true };
    const v = createViewer("v", declared);
    s.large = true;
    applyView(s, v);
    expect(v.view).toBeUndefined();
  });

  it("records a selection's time and takes the viewer off the re-selection list", () => {
    const s = createViewsState(options);
    const v = createViewer("v", undefined);
    s.dirty.add(v);
    select(s, v, LARGE_ROOM_DEFAULT_VIEW);
    expect(v.lastSelect).toBe(5);
    expect(s.dirty.has(v)).toBe(false);
  });
});
