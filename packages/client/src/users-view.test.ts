import { describe, expect, it } from "vitest";
import { ALICE, join, peer } from "./test-support/fake-server.js";
import { enterTestRoom } from "./test-support/room-harness.js";

describe("room.getUsers", () => {
  it("shows a person with several tabs once, with the tab they used last", async () => {
    const t = await enterTestRoom();
    const tab1 = "tab1AAAAAAAAAAAAAAAAAA";
    const tab2 = "tab2AAAAAAAAAAAAAAAAAA";
    const socket = t.net.last();
    join(socket, {
      others: [
        peer(tab1, { status: "one" }, { userId: "bob" }),
        peer(ALICE, { status: "a" }),
        peer(tab2, { status: "two" }, { userId: "bob" }),
      ],
    });
    await t.clock.settle();
    expect(t.room.getOthers()).toHaveLength(3);
    const users = t.room.getUsers();
    expect(users.map((u) => u.userId).sort()).toEqual(["alice", "bob"]);
    const bob = users.find((u) => u.userId === "bob")!;
    expect(bob.connections.map((c) => c.connectionId).sort()).toEqual([tab1, tab2]);
    // Bob moves in his first tab: it becomes his presence.
    socket.deliver({
      type: 101,
      entries: [
        { kind: "update", connectionId: tab1, epoch: 1, base: 0, clock: 1, set: { status: "busy" }, del: [] },
      ],
    });
    await t.clock.settle();
    const after = t.room.getUsers().find((u) => u.userId === "bob")!;
    expect(after.presence.connectionId).toBe(tab1);
    expect(after.presence.status).toBe("busy");
    expect(after.connections[0]!.connectionId).toBe(tab1);
    // Nothing changed: same array and same objects.
    expect(t.room.getUsers()).toBe(t.room.getUsers());
    const alice = t.room.getUsers().find((u) => u.userId === "alice");
    expect(alice).toBe(users.find((u) => u.userId === "alice"));
  });
});
