import { describe, expect, it } from "vitest";
import { createSerialQueue } from "./serial-queue.js";

const later = <T>(value: T, ms: number) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe("serial queue", () => {
  it("applies at once when idle and the work is not a promise", () => {
    const applied: number[] = [];
    const queue = createSerialQueue(() => {});
    queue.push(1, (v) => applied.push(v));
    expect(applied).toEqual([1]);
    expect(queue.idle).toBe(true);
  });

  it("applies in push order although later work finishes first", async () => {
    const applied: string[] = [];
    const queue = createSerialQueue(() => {});
    queue.push(later("slow", 30), (v) => applied.push(v));
    queue.push(later("fast", 1), (v) => applied.push(v));
    queue.push("sync", (v) => applied.push(v));
    expect(queue.idle).toBe(false);
    await later(null, 60);
    expect(applied).toEqual(["slow", "fast", "sync"]);
    expect(queue.idle).toBe(true);
  });

  it("reports a rejection, keeps going, and drops what was pushed before a reset", async () => {
    const applied: string[] = [];
    const errors: unknown[] = [];
    const queue = createSerialQueue((err) => errors.push(err));
    queue.push(Promise.reject(new Error("boom")), (v: string) => applied.push(v));
    queue.push(later("after", 5), (v) => applied.push(v));
    await later(null, 20);
    expect(errors).toEqual([new Error("boom")]);
    queue.push(later("stale", 5), (v) => applied.push(v));
    queue.reset();
    queue.push(later("fresh", 1), (v) => applied.push(v));
    await later(null, 20);
    expect(applied).toEqual(["after", "fresh"]);
  });
});
