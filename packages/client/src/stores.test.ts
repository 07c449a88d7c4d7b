import { MessageType } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { roomReadable, roomStores } from "./stores.js";
import { ALICE, BOB, join, peer } from "./test-support/fake-server.js";
import { enterTestRoom } from "./test-support/room-harness.js";

describe("roomStores (the Svelte store contract)", () => {
  it("calls run at once with the current value, on each change, and never after unsubscribe", async () => {
    const t = await enterTestRoom();
    const seen: (readonly string[])[] = [];
    const unsubscribe = roomStores(t.room).others.subscribe((others) =>
      seen.push(others.map((o) => o.connectionId)),
    );
    expect(seen).toEqual([[]]); // at once, before anything happened
    expect(typeof unsubscribe).toBe("function");
    join(t.net.last(), { others: [peer(ALICE, {})] });
    await t.clock.settle();
    expect(seen).toEqual([[], [ALICE]]);
    unsubscribe();
    t.net.last().deliver({
      type: MessageType.BATCH,
      entries: [
        { kind: "enter", connectionId: BOB, userId: "bob", info: undefined, epoch: 1, clock: 0, state: {} },
      ],
    });
    await t.clock.settle();
    expect(seen).toHaveLength(2);
    expect(t.room.getOthers()).toHaveLength(2);
  });

  it("calls run only when the value changed, not on every event", async () => {
    const t = await enterTestRoom({ initialPresence: { status: "idle" } });
    const statuses: string[] = [];
    const presences: unknown[] = [];
    const stores = roomStores(t.room);
    stores.status.subscribe((s) => statuses.push(s));
    stores.presence.subscribe((p) => presences.push(p));
    join(t.net.last());
    await t.clock.settle();
    expect(statuses).toEqual(["connecting", "connected"]);
    t.room.updatePresence({ status: "idle" }); // no change: no event, no call
    t.room.updatePresence({ status: "editing" });
    expect(presences).toEqual([{ status: "idle" }, { status: "editing" }]);
  });

  it("keeps subscriptions independent and returns the same stores for the same room", async () => {
    const t = await enterTestRoom();
    const stores = roomStores(t.room);
    expect(roomStores(t.room)).toBe(stores);
    const a: number[] = [];
    const b: number[] = [];
    const offA = stores.users.subscribe((u) => a.push(u.length));
    stores.users.subscribe((u) => b.push(u.length));
    offA();
    join(t.net.last(), { others: [peer(ALICE, {}), peer(BOB, {}, { userId: "alice" })] });
    await t.clock.settle();
    expect(a).toEqual([0]);
    expect(b).toEqual([0, 1]); // two tabs, one user
  });

  it("refuses a subscriber that is not a function and a store with no event", async () => {
    const t = await enterTestRoom();
    expect(() => roomStores(t.room).status.subscribe(42 as never)).toThrow(TypeError);
    expect(() => roomReadable(t.room, [], t.room.getStatus)).toThrow(TypeError);
  });
});
