import type { BatchEntry, PeerState } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { createOwnConnections } from "./own-connections.js";

const enter = (clock = 0, epoch = 1): BatchEntry & PeerState => ({
  kind: "enter",
  connectionId: "c1",
  userId: "u1",
  info: undefined,
  epoch,
  clock,
  state: { s: 0 },
});
const update = (base: number, clock: number, epoch = 1): BatchEntry => ({
  kind: "update",
  connectionId: "c1",
  epoch,
  base,
  clock,
  set: { s: clock },
  del: [],
});

describe("own connections", () => {
  it("passes entries through unchanged until a re-assert, and keeps the full state", () => {
    const own = createOwnConnections();
    const e = own.record(enter());
    expect(e.entry).toEqual(enter());
    expect(e.entered?.clock).toBe(0);
    expect(own.record(update(0, 1)).entry).toEqual(update(0, 1));
    expect(own.takeDirty()).toEqual([
      { connectionId: "c1", userId: "u1", info: undefined, epoch: 1, clock: 1, state: { s: 1 } },
    ]);
    expect(own.takeDirty()).toEqual([]);
  });

  it("re-asserts with a fresher clock and shifts every later entry by the bump", () => {
    const own = createOwnConnections();
    own.record(enter());
    own.record(update(0, 1));
    expect(own.reassert("c1")).toMatchObject({ epoch: 1, clock: 2, state: { s: 1 } });
    expect(own.record(update(1, 2)).entry).toMatchObject({ base: 2, clock: 3 });
    expect(own.reassert("c1")).toMatchObject({ clock: 4 });
    expect(own.record({ kind: "leave", connectionId: "c1", epoch: 1, clock: 2, reason: "left" })).toEqual({
      entry: { kind: "leave", connectionId: "c1", epoch: 1, clock: 4, reason: "left" },
      removed: "c1",
    });
    expect(own.has("c1")).toBe(false);
  });

  it("starts a new epoch at bump 0 but keeps the bump when the same epoch enters again", () => {
    const own = createOwnConnections();
    own.record(enter());
    own.reassert("c1");
    expect(own.record(enter(0)).entry).toMatchObject({ clock: 1 });
    expect(own.record(enter(0, 2)).entry).toMatchObject({ epoch: 2, clock: 0 });
  });

  it("keeps a connection when the leave is of an older epoch", () => {
    const own = createOwnConnections();
    own.record(enter(0, 2));
    const effect = own.record({ kind: "leave", connectionId: "c1", epoch: 1, clock: 5, reason: "left" });
    expect(effect.removed).toBeUndefined();
    expect(own.has("c1")).toBe(true);
  });

  it("forgets connections the pod no longer owns", () => {
    const own = createOwnConnections();
    own.record(enter());
    own.retain(new Set());
    expect(own.size).toBe(0);
    expect(own.reassert("c1")).toBeUndefined();
  });
});
