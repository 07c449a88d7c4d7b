import type { LeaveEntry } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { createVersionTracker } from "./version-tracker.js";

const expired = (epoch: number, clock: number): LeaveEntry => ({
  kind: "leave",
  connectionId: "c1",
  epoch,
  clock,
  reason: "expired",
});

describe("version tracker", () => {
  it("lifts an expiry of the same epoch to the newest version seen", () => {
    const t = createVersionTracker();
    t.observe({ kind: "update", connectionId: "c1", epoch: 2, base: 0, clock: 7, set: {}, del: [] });
    expect(t.liftExpiry(expired(2, 3))).toEqual(expired(2, 7));
    expect(t.liftExpiry(expired(2, 9))).toEqual(expired(2, 9));
  });

  it("gives an expiry without a version (epoch 0) the tracked one", () => {
    const t = createVersionTracker();
    t.observePeer({ connectionId: "c1", userId: "u", info: undefined, epoch: 3, clock: 1, state: {} });
    expect(t.liftExpiry(expired(0, 0))).toEqual(expired(3, 1));
  });

  it("leaves an expiry of an older epoch and a `left` leave alone", () => {
    const t = createVersionTracker();
    t.observePeer({ connectionId: "c1", userId: "u", info: undefined, epoch: 3, clock: 1, state: {} });
    expect(t.liftExpiry(expired(2, 9))).toEqual(expired(2, 9));
    const left: LeaveEntry = { ...expired(3, 0), reason: "left" };
    expect(t.liftExpiry(left)).toBe(left);
  });

  it("forgets a connection on a leave at least as new as what it knows, not an older one", () => {
    const t = createVersionTracker();
    t.observePeer({ connectionId: "c1", userId: "u", info: undefined, epoch: 3, clock: 4, state: {} });
    t.observe(expired(3, 2));
    expect(t.get("c1")).toEqual({ epoch: 3, clock: 4 });
    t.observe(expired(3, 4));
    expect(t.size).toBe(0);
  });
});
