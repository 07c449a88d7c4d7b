import { describe, expect, it } from "vitest";
import { createPresenceManager } from "./presence-manager.js";

describe("presence manager", () => {
  it("evicts the least recently used idle room beyond maxRooms and counts it", () => {
    const evicted: string[] = [];
    const m = createPresenceManager({ maxRooms: 2, onEvict: (s) => evicted.push(s.roomId) });
    m.get("a");
    m.get("b");
    m.get("a"); // a is now newer than b
    m.get("c");
    expect(evicted).toEqual(["b"]);
    expect(m.evictions).toBe(1);
    expect([...m.shards()].map((s) => s.roomId)).toEqual(["a", "c"]);
  });

  it("never evicts a room with attached edges or owned connections", () => {
    const m = createPresenceManager({ maxRooms: 1 });
    m.get("live").sessions.add({ edgeId: "e1" });
    const owned = m.get("owned");
    owned.owners.set("cid", { edgeId: "e2" });
    m.get("idle");
    expect(m.peek("live")).toBeDefined();
    expect(m.peek("owned")).toBeDefined();
    expect(m.peek("idle")).toBeDefined(); // the newest is kept until it is not the newest
    m.get("idle2");
    expect(m.peek("idle")).toBeUndefined();
    expect(m.size).toBe(3);
  });

  it("evicts a room once its last edge leaves and the room set is trimmed", () => {
    const m = createPresenceManager({ maxRooms: 1 });
    const a = m.get("a");
    const session = { edgeId: "e" };
    a.sessions.add(session);
    m.get("b");
    expect(m.size).toBe(2);
    a.sessions.delete(session);
    m.trim();
    expect(m.peek("a")).toBeUndefined();
    expect(m.evictions).toBe(1);
  });

  it("rebuilds an evicted room as a new shard on next use", () => {
    const created: string[] = [];
    const m = createPresenceManager({ maxRooms: 1, onCreate: (s) => created.push(s.roomId) });
    m.get("a");
    m.get("b");
    m.get("a");
    expect(created).toEqual(["a", "b", "a"]);
  });

  it("refuses a maxRooms below 1", () => {
    expect(() => createPresenceManager({ maxRooms: 0 })).toThrow(RangeError);
  });
});
