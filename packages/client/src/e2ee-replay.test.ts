import { describe, expect, it } from "vitest";
import { createReplayGuard } from "./e2ee-replay.js";

const env = (epoch: number, counter: number) => ({ epoch, counter, text: `e1.0.${epoch}.${counter}.x` });
const at = (epoch: number, clock: number) => ({ epoch, clock });

describe("replay guard", () => {
  it("accepts newer (epoch, counter), the current one while live, and nothing older", () => {
    const guard = createReplayGuard();
    expect(guard.verdict("a", "status", 1, 5)).toBe("newer");
    guard.accept("a", "status", env(1, 5), "idle", at(1, 3));
    expect(guard.verdict("a", "status", 1, 5)).toBe("current");
    expect(guard.verdict("a", "status", 1, 4)).toBe("replayed");
    expect(guard.verdict("a", "status", 0, 99)).toBe("replayed");
    expect(guard.verdict("a", "status", 2, 1)).toBe("newer");
    expect(guard.verdict("a", "meta", 1, 1)).toBe("newer"); // per field
    expect(guard.verdict("b", "status", 1, 1)).toBe("newer"); // per sender
  });

  it("a delete kills the current value only when newer than the entry that carried it", () => {
    const guard = createReplayGuard();
    guard.accept("a", "status", env(1, 5), "idle", at(1, 3));
    guard.deleted("a", ["status"], at(1, 2)); // stale: a reordered or duplicated older update
    expect(guard.verdict("a", "status", 1, 5)).toBe("current");
    guard.fullState("a", new Set(), at(1, 3)); // same version: not newer either
    expect(guard.verdict("a", "status", 1, 5)).toBe("current");
    guard.deleted("a", ["status"], at(1, 4));
    expect(guard.verdict("a", "status", 1, 5)).toBe("replayed");
    guard.accept("a", "status", env(1, 6), "editing", at(1, 5));
    guard.fullState("a", new Set(["meta"]), at(2, 0));
    expect(guard.verdict("a", "status", 1, 6)).toBe("replayed");
  });

  it("caches the accepted value by envelope until the sender leaves the view", () => {
    const guard = createReplayGuard();
    guard.accept("a", "status", env(1, 5), null, at(1, 3));
    expect(guard.cached("a", "status", "e1.0.1.5.x")).toBeNull();
    expect(guard.cached("a", "status", "e1.0.1.6.x")).toBeUndefined();
    guard.forgetValues("a");
    expect(guard.cached("a", "status", "e1.0.1.5.x")).toBeUndefined();
    expect(guard.verdict("a", "status", 1, 4)).toBe("replayed"); // counters survive
  });

  it("forgets the least recently seen sender beyond its bound", () => {
    const guard = createReplayGuard(2);
    guard.accept("a", "f", env(1, 5), 1, at(1, 1));
    guard.accept("b", "f", env(1, 5), 1, at(1, 1));
    guard.deleted("a", [], at(1, 1)); // a seen again: b is now the oldest
    guard.accept("c", "f", env(1, 5), 1, at(1, 1));
    expect(guard.verdict("a", "f", 1, 4)).toBe("replayed");
    expect(guard.verdict("b", "f", 1, 4)).toBe("newer");
  });
});
