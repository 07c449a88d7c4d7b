import { describe, expect, it } from "vitest";
import { createReplayGuard } from "./e2ee-replay.js";

const seen = (epoch: number, counter: number) => ({ epoch, counter, text: `sealed ${epoch}.${counter}` });
const at = (epoch: number, clock: number) => ({ epoch, clock });
const IDLE = { status: "idle" };

describe("replay guard", () => {
  it("accepts newer (epoch, counter), the current one while live, and nothing older", () => {
    const guard = createReplayGuard();
    expect(guard.verdict("a", 1, 5)).toBe("newer");
    guard.accept("a", seen(1, 5), IDLE, at(1, 3));
    expect(guard.verdict("a", 1, 5)).toBe("current");
    expect(guard.verdict("a", 1, 4)).toBe("replayed");
    expect(guard.verdict("a", 0, 99)).toBe("replayed");
    expect(guard.verdict("a", 2, 1)).toBe("newer");
    expect(guard.verdict("b", 1, 1)).toBe("newer"); // per sender
  });

  it("a removal kills the current state only when newer than the entry that carried it", () => {
    const guard = createReplayGuard();
    guard.accept("a", seen(1, 5), IDLE, at(1, 3));
    guard.removed("a", at(1, 2)); // stale: a reordered or duplicated older update
    expect(guard.verdict("a", 1, 5)).toBe("current");
    guard.removed("a", at(1, 3)); // same version: not newer either
    expect(guard.verdict("a", 1, 5)).toBe("current");
    guard.removed("a", at(1, 4));
    expect(guard.verdict("a", 1, 5)).toBe("replayed");
    guard.accept("a", seen(1, 6), IDLE, at(1, 5));
    guard.removed("a", at(2, 0));
    expect(guard.verdict("a", 1, 6)).toBe("replayed");
  });

  it("caches the accepted state by its bytes until the sender leaves the view", () => {
    const guard = createReplayGuard();
    guard.accept("a", seen(1, 5), IDLE, at(1, 3));
    expect(guard.cached("a", "sealed 1.5")).toBe(IDLE);
    expect(guard.cached("a", "sealed 1.6")).toBeUndefined();
    guard.forgetValues("a");
    expect(guard.cached("a", "sealed 1.5")).toBeUndefined();
    expect(guard.verdict("a", 1, 4)).toBe("replayed"); // counters survive
  });

  it("forgets the least recently accepted sender beyond its bound", () => {
    const guard = createReplayGuard(2);
    guard.accept("a", seen(1, 5), IDLE, at(1, 1));
    guard.accept("b", seen(1, 5), IDLE, at(1, 1));
    guard.accept("a", seen(1, 6), IDLE, at(1, 2)); // a seen again: b is now the oldest
    guard.accept("c", seen(1, 5), IDLE, at(1, 1));
    expect(guard.verdict("a", 1, 4)).toBe("replayed");
    expect(guard.verdict("b", 1, 4)).toBe("newer");
  });
});
