import { describe, expect, it } from "vitest";
import { createKnownConnections } from "./known-connections.js";

describe("known connections", () => {
  it("remembers the highest epoch per room and connectionId", () => {
    const k = createKnownConnections();
    k.remember("r", "c", "alice", 3);
    k.remember("r", "c", "alice", 2);
    expect(k.get("r", "c")).toEqual({ userId: "alice", epoch: 3 });
    expect(k.get("other", "c")).toBeUndefined();
  });

  it("forgets the least recently remembered beyond its bound", () => {
    const k = createKnownConnections(2);
    k.remember("r", "a", "u", 1);
    k.remember("r", "b", "u", 1);
    k.remember("r", "a", "u", 2);
    k.remember("r", "c", "u", 1);
    expect(k.get("r", "b")).toBeUndefined();
    expect(k.get("r", "a")?.epoch).toBe(2);
    expect(k.size).toBe(2);
  });
});
