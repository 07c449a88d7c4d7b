import type { BatchEntry } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { createOthersStore } from "./others-store.js";
import { ALICE, BOB, CAROL, peer } from "./test-support/fake-server.js";

interface Presence {
  cursor?: { x: number; y: number } | null;
  status?: string;
}

const ME = "meMEMEMEMEMEMEMEMEMEME";
const store = () => createOthersStore<Presence>(() => ME);
const update = (
  cid: string,
  base: number,
  clock: number,
  set: Record<string, never> | object,
): BatchEntry => ({
  kind: "update",
  connectionId: cid,
  epoch: 1,
  base,
  clock,
  set: set as never,
  del: [],
});

describe("createOthersStore", () => {
  it("lists others with presence at the top level, never including me", () => {
    const s = store();
    s.applySnapshot([peer(ALICE, { status: "idle" }), peer(ME, { status: "me" })]);
    expect(s.getOthers()).toEqual([{ connectionId: ALICE, userId: "alice", status: "idle" }]);
    expect(s.self()?.state).toEqual({ status: "me" });
  });

  it("keeps the array and untouched users identical while nothing about them changed", () => {
    const s = store();
    s.applySnapshot([peer(ALICE, { status: "a" }), peer(BOB, { status: "b" })]);
    const first = s.getOthers();
    expect(s.getOthers()).toBe(first);
    s.apply(update(ALICE, 0, 1, { status: "a" })); // same content
    expect(s.getOthers()).toBe(first);
    const r = s.apply(update(BOB, 0, 1, { status: "b2" }));
    expect(r.events.map((e) => e.type)).toEqual(["update"]);
    const second = s.getOthers();
    expect(second).not.toBe(first);
    expect(second[0]).toBe(first[0]); // Alice's User object survives Bob's change
    expect(second[1]?.status).toBe("b2");
    s.apply(update(BOB, 0, 1, { status: "dup" })); // duplicate clock: stale
    expect(s.getOthers()).toBe(second);
  });

  it("swaps updated users into the array in place, and rebuilds it when someone enters or leaves in between", () => {
    const s = store();
    s.applySnapshot([peer(ALICE, { status: "a" }), peer(BOB, { status: "b" }), peer(CAROL, { status: "c" })]);
    const first = s.getOthers();
    s.apply(update(CAROL, 0, 1, { status: "c1" }));
    s.apply(update(ALICE, 0, 1, { status: "a1" }));
    const second = s.getOthers();
    expect(second.map((u) => u.status)).toEqual(["a1", "b", "c1"]); // same order, both swapped in
    expect(second[1]).toBe(first[1]);
    expect(Object.isFrozen(second)).toBe(true);
    // An update, then a leave before the next read: the rebuild has the update and not the leaver.
    s.apply(update(BOB, 0, 1, { status: "b1" }));
    s.apply({ kind: "leave", connectionId: ALICE, epoch: 1, clock: 1, reason: "left" });
    s.apply(update(CAROL, 1, 2, { status: "c2" }));
    expect(s.getOthers().map((u) => [u.connectionId, u.status])).toEqual([
      [BOB, "b1"],
      [CAROL, "c2"],
    ]);
    s.apply(update(CAROL, 2, 3, { status: "c3" })); // after the rebuild: positions follow it
    expect(s.getOthers().map((u) => u.status)).toEqual(["b1", "c3"]);
  });

  it("reports enter, update and leave with the users involved", () => {
    const s = store();
    const entered = s.apply({ kind: "enter", ...peer(CAROL, { status: "hi" }) });
    expect(entered.events).toEqual([{ type: "enter", user: s.getOther(CAROL) }]);
    const before = s.getOther(CAROL);
    const updated = s.apply(update(CAROL, 0, 1, { status: "bye" }));
    expect(updated.events).toEqual([{ type: "update", user: s.getOther(CAROL), previous: before }]);
    const left = s.apply({ kind: "leave", connectionId: CAROL, epoch: 1, clock: 1, reason: "left" });
    expect(left.events).toMatchObject([{ type: "leave", reason: "left", user: { status: "bye" } }]);
    expect(s.getOthers()).toEqual([]);
  });

  it("reports a gap for an update whose base is above what it holds", () => {
    const s = store();
    s.applySnapshot([peer(ALICE, {})]);
    expect(s.apply(update(ALICE, 3, 4, { status: "x" })).outcome.kind).toBe("gap");
    expect(s.apply(update(BOB, 0, 1, { status: "x" })).outcome.kind).toBe("gap");
  });

  it("keeps peers missing from a rejoin snapshot listed until their deadline", () => {
    const s = store();
    s.applySnapshot([peer(ALICE, { status: "a" }), peer(BOB, { status: "b" })]);
    const before = s.getOthers();
    const events = s.applySnapshot([peer(ME, {})], 5000);
    expect(events).toEqual([]);
    expect(s.getOthers()).toBe(before);
    expect(s.nextLingerDeadline()).toBe(5000);
    expect(s.expireLingering(4999)).toEqual([]);
    const expired = s.expireLingering(5000);
    expect(expired.map((e) => e.type)).toEqual(["leave", "leave"]);
    expect(s.getOthers()).toEqual([]);
  });

  it("shows no change when a lingering peer re-enters with a new epoch and the same state", () => {
    const s = store();
    s.applySnapshot([peer(ALICE, { status: "a" })]);
    const alice = s.getOther(ALICE);
    s.applySnapshot([], 5000);
    const r = s.apply({ kind: "enter", ...peer(ALICE, { status: "a" }, { epoch: 2 }) });
    expect(r.events).toEqual([]);
    expect(s.getOther(ALICE)).toBe(alice);
    expect(s.nextLingerDeadline()).toBeUndefined();
  });

  it("drops a lingering peer that is seen leaving", () => {
    const s = store();
    s.applySnapshot([peer(ALICE, { status: "a" })]);
    s.applySnapshot([], 5000);
    const r = s.apply({ kind: "leave", connectionId: ALICE, epoch: 1, clock: 0, reason: "left" });
    expect(r.events.map((e) => e.type)).toEqual(["leave"]);
    expect(s.getOthers()).toEqual([]);
  });

  it("replaces the list with one reset event on a plain snapshot or a clear", () => {
    const s = store();
    s.applySnapshot([peer(ALICE, {})]);
    expect(s.applySnapshot([peer(BOB, {})])).toEqual([{ type: "reset" }]);
    expect(s.getOthers().map((u) => u.connectionId)).toEqual([BOB]);
    expect(s.clear()).toEqual([{ type: "reset" }]);
    expect(s.getOthers()).toEqual([]);
    expect(s.clear()).toEqual([]);
  });

  it("freezes users so a cached object cannot be mutated by the app", () => {
    const s = store();
    s.applySnapshot([peer(ALICE, { status: "a" })]);
    expect(Object.isFrozen(s.getOther(ALICE))).toBe(true);
    expect(Object.isFrozen(s.getOthers())).toBe(true);
  });
});

describe("peers shown as reconnecting (PEER_LOST, PROTOCOL.md §9)", () => {
  it("marks the lost epoch's user reconnecting, then clears it when a newer epoch enters, without leave/enter", () => {
    const s = store();
    s.applySnapshot([peer(ALICE, { status: "a" }), peer(BOB, { status: "b" })]);
    const bob = s.getOther(BOB);
    expect(s.markLost(ALICE, 1)).toEqual([
      {
        type: "update",
        user: { connectionId: ALICE, userId: "alice", status: "a", reconnecting: true },
        previous: expect.anything(),
      },
    ]);
    expect(s.getOther(BOB)).toBe(bob); // nobody else changes
    expect(s.markLost(ALICE, 1)).toEqual([]); // idempotent
    const back = s.apply({ ...peer(ALICE, { status: "a" }, { epoch: 2 }), kind: "enter" });
    expect(back.events.map((e) => e.type)).toEqual(["update"]);
    expect(s.getOther(ALICE)).toEqual({ connectionId: ALICE, userId: "alice", status: "a" });
  });

  it("ignores a notice for another epoch than the one held, and forgets the mark on leave and snapshot", () => {
    const s = store();
    s.applySnapshot([peer(ALICE, { status: "a" }, { epoch: 3 }), peer(BOB, {})]);
    expect(s.markLost(ALICE, 2)).toEqual([]); // an older connection of that id
    expect(s.markLost(CAROL, 1)).toEqual([]); // not held (outside the view, or gone)
    s.markLost(ALICE, 3);
    const gone = s.apply({ kind: "leave", connectionId: ALICE, epoch: 3, clock: 0, reason: "expired" });
    expect(gone.events).toEqual([
      { type: "leave", user: expect.objectContaining({ reconnecting: true }), reason: "expired" },
    ]);
    s.markLost(BOB, 1);
    expect(s.getOther(BOB)?.reconnecting).toBe(true);
    s.applySnapshot([peer(BOB, {})]);
    expect(s.getOther(BOB)?.reconnecting).toBeUndefined();
  });
});
