import { describe, expect, it } from "vitest";
import { compareStreamIds, createWakeLedger } from "./wake-ledger.js";

describe("wake ledger", () => {
  it("orders stream ids by time, then sequence", () => {
    expect(compareStreamIds("5-1", "5-0")).toBeGreaterThan(0);
    expect(compareStreamIds("10-0", "9-99")).toBeGreaterThan(0);
    expect(compareStreamIds("7-3", "7-3")).toBe(0);
  });

  it("skips on read exactly the entries applied from their wake-up", () => {
    const ledger = createWakeLedger();
    ledger.applied("1-0");
    ledger.applied("3-0"); // 2-0's wake-up was lost
    expect(ledger.read("1-0")).toBe(true);
    expect(ledger.read("2-0")).toBe(false);
    expect(ledger.read("3-0")).toBe(true);
    expect(ledger.size).toBe(0);
  });

  it("ignores a wake-up whose entry a read already delivered", () => {
    const ledger = createWakeLedger();
    ledger.read("4-0");
    expect(ledger.isNew("4-0")).toBe(false);
    expect(ledger.isNew("3-9")).toBe(false);
    expect(ledger.isNew("4-1")).toBe(true);
  });

  it("forgets applied ids the reads have passed, and the oldest beyond its bound", () => {
    const ledger = createWakeLedger(3);
    for (const id of ["1-0", "2-0", "3-0", "4-0", "5-0"]) ledger.applied(id);
    expect(ledger.size).toBe(3);
    expect(ledger.read("1-0")).toBe(false); // forgotten: applied again, harmlessly
    expect(ledger.read("4-0")).toBe(true); // 3-0 dropped on the way
    expect(ledger.size).toBe(1);
  });
});
