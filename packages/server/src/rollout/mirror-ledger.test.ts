import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ShadowCounters } from "./mirror-context.js";
import { createMirrorLedger, diffStates, isEmptyPatch } from "./mirror-ledger.js";

const counters = (): ShadowCounters => ({ shadowMirrored: 0, shadowDropped: 0, shadowConnections: 0 });

describe("createMirrorLedger", () => {
  it("counts the enter as waiting until the welcome's re-assert settles it", () => {
    const stats = counters();
    const ledger = createMirrorLedger(stats, { status: "idle" });
    expect(ledger.dirty).toBe(1);
    expect(ledger.pending(true)).toEqual({ set: { status: "idle" }, del: [] });
    ledger.settled();
    expect(stats).toMatchObject({ shadowMirrored: 1, shadowDropped: 0 });
    expect(isEmptyPatch(ledger.pending(false))).toBe(true);
  });

  it("folds waiting diffs into one catch-up: the newest is mirrored, the others dropped", () => {
    const stats = counters();
    const ledger = createMirrorLedger(stats, {});
    ledger.settled();
    for (const x of [1, 2, 3]) {
      ledger.observe({ x });
      ledger.fold();
    }
    expect(ledger.pending(false)).toEqual({ set: { x: 3 }, del: [] });
    ledger.settled();
    expect(stats).toMatchObject({ shadowMirrored: 2, shadowDropped: 2 });
  });

  it("re-asserts every key and deletes what staging holds beyond the state", () => {
    const ledger = createMirrorLedger(counters(), { a: 1, b: 2 });
    ledger.settled();
    ledger.observe({ a: 1, c: 3 });
    expect(ledger.pending(true)).toEqual({ set: { a: 1, c: 3 }, del: ["b"] });
    ledger.forgetStaged();
    expect(ledger.pending(true)).toEqual({ set: { a: 1, c: 3 }, del: [] });
    expect(ledger.pending(false)).toEqual({ set: { a: 1, c: 3 }, del: [] });
  });

  it("mirrors the leave only of a connection staging welcomed", () => {
    const reached = counters();
    const a = createMirrorLedger(reached, {});
    a.settled();
    a.ended(true);
    expect(reached).toMatchObject({ shadowMirrored: 2, shadowDropped: 0 });
    const lost = counters();
    const b = createMirrorLedger(lost, {});
    b.observe({ x: 1 });
    b.fold();
    b.ended(false);
    expect(lost).toMatchObject({ shadowMirrored: 0, shadowDropped: 3 });
  });

  it("ends every observed diff as exactly one mirrored or dropped", () => {
    const op = fc.constantFrom("sent", "fold", "drop", "lose", "settle", "forget");
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.boolean(), (ops, reached) => {
        const stats = counters();
        const ledger = createMirrorLedger(stats, {});
        let diffs = 2; // the enter and the leave
        for (const [i, o] of ops.entries()) {
          if (o === "sent" || o === "fold" || o === "drop") {
            ledger.observe({ n: i });
            diffs++;
          }
          if (o === "sent") ledger.sentAtOnce();
          else if (o === "fold") ledger.fold();
          else if (o === "drop") ledger.drop();
          else if (o === "lose") ledger.loseWaiting();
          else if (o === "settle") ledger.settled();
          else ledger.forgetStaged();
        }
        ledger.ended(reached);
        expect(stats.shadowMirrored + stats.shadowDropped).toBe(diffs);
        expect(ledger.dirty).toBe(0);
      }),
    );
  });
});

describe("diffStates", () => {
  it("sets changed and new keys and deletes missing ones, comparing values deeply", () => {
    expect(diffStates({ a: 1, b: { x: 1 }, c: 3 }, { a: 1, b: { x: 2 }, d: 4 })).toEqual({
      set: { b: { x: 2 }, d: 4 },
      del: ["c"],
    });
    expect(diffStates({ b: { x: 1 } }, { b: { x: 1 } })).toEqual({ set: {}, del: [] });
  });
});
