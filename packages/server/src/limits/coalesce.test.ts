import { type BatchEntry, type PeerState, PresenceReplica } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { drainQueue, type EntryQueue, enqueueEntry, mergeEntries } from "./coalesce.js";

const CID = "cid-aaaaaaaaaaaaaaaa";
const enter = (epoch: number, clock: number, state = {}): BatchEntry => ({
  kind: "enter",
  connectionId: CID,
  userId: "u",
  info: undefined,
  epoch,
  clock,
  state,
});
const update = (epoch: number, base: number, clock: number, set = {}, del: string[] = []): BatchEntry => ({
  kind: "update",
  connectionId: CID,
  epoch,
  base,
  clock,
  set,
  del,
});
const leave = (epoch: number, clock: number, reason: "left" | "expired"): BatchEntry => ({
  kind: "leave",
  connectionId: CID,
  epoch,
  clock,
  reason,
});

function viewAfter(entries: BatchEntry[]): PeerState | undefined {
  const r = new PresenceReplica();
  for (const e of entries) r.apply(e);
  return r.get(CID);
}

describe("mergeEntries", () => {
  it("folds an update into a pending enter", () => {
    const merged = mergeEntries(enter(1, 0, { a: 1 }), update(1, 0, 1, { b: 2 }));
    expect(merged).toMatchObject({ kind: "enter", clock: 1, state: { a: 1, b: 2 } });
  });

  it("composes consecutive updates into one covering both ranges", () => {
    const merged = mergeEntries(update(1, 0, 1, { a: 1, b: 1 }), update(1, 1, 2, { a: 2 }, ["b"]));
    expect(merged).toMatchObject({ kind: "update", base: 0, clock: 2, set: { a: 2 }, del: ["b"] });
  });

  it("keeps an update that does not connect to the pending one apart", () => {
    expect(mergeEntries(update(1, 0, 1), update(1, 3, 4))).toBeUndefined();
    expect(mergeEntries(update(1, 0, 1), update(2, 0, 1))).toBeUndefined();
  });

  it("drops a stale update and a stale enter", () => {
    const a = update(1, 0, 3);
    expect(mergeEntries(a, update(1, 1, 2))).toBe(a);
    expect(mergeEntries(a, enter(1, 2))).toBe(a);
  });

  it("lets a leave supersede what is pending and a newer epoch supersede a leave", () => {
    expect(mergeEntries(update(1, 0, 1), leave(1, 1, "left"))).toMatchObject({ kind: "leave" });
    expect(mergeEntries(leave(1, 1, "left"), enter(2, 0))).toMatchObject({ kind: "enter", epoch: 2 });
    expect(mergeEntries(leave(1, 1, "left"), update(1, 1, 2))).toMatchObject({ kind: "leave" });
  });

  it("keeps a pending newer epoch over a late leave of an older epoch", () => {
    const a = enter(3, 0);
    expect(mergeEntries(a, leave(2, 5, "left"))).toBe(a);
  });
});

describe("entry queue", () => {
  it("gives a replica the same view as the unmerged sequence", () => {
    const seq = [
      enter(1, 0, { s: 0 }),
      update(1, 0, 1, { x: 1 }),
      update(1, 1, 2, { y: 2 }, ["s"]),
      update(1, 2, 3, { x: 3 }),
    ];
    const q: EntryQueue = new Map();
    for (const e of seq) enqueueEntry(q, e);
    const batch = drainQueue(q);
    expect(batch).toHaveLength(1);
    expect(viewAfter(batch)).toEqual(viewAfter(seq));
    expect(q.size).toBe(0);
  });
});
