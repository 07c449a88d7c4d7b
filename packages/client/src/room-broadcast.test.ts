// room.broadcast and the `event` event (PROTOCOL.md §9), against the fake server
// with an injected clock.
import { MAX_EVENT_BYTES, MessageType } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { ALICE, join, peer } from "./test-support/fake-server.js";
import { enterTestRoom } from "./test-support/room-harness.js";
import type { RoomEvent } from "./types.js";

describe("room: broadcast events", () => {
  it("asks for revision 4, sends BROADCAST while connected, and hears others' events with their user", async () => {
    const t = await enterTestRoom();
    const socket = t.net.last();
    expect(socket.query.get("rev")).toBe("4");
    expect(t.room.broadcast({ emoji: "👋" })).toBe(false); // not connected yet: nothing queued
    join(socket, { others: [peer(ALICE, { status: "editing" })] });
    await t.clock.settle();
    const heard: RoomEvent<object>[] = [];
    t.room.subscribe("event", (e) => heard.push(e));
    expect(t.room.broadcast({ emoji: "🎉" })).toBe(true);
    expect(socket.sentOfType(MessageType.BROADCAST)).toEqual([
      { type: MessageType.BROADCAST, event: { emoji: "🎉" } },
    ]);
    socket.deliver({
      type: MessageType.EVENT,
      connectionId: ALICE,
      userId: "alice",
      event: { follow: true },
    });
    socket.deliver({ type: MessageType.EVENT, connectionId: "outside-view", userId: "zed", event: 1 });
    await t.clock.settle();
    expect(heard).toEqual([
      {
        connectionId: ALICE,
        userId: "alice",
        user: { connectionId: ALICE, userId: "alice", status: "editing" },
        event: { follow: true },
      },
      { connectionId: "outside-view", userId: "zed", user: undefined, event: 1 },
    ]);
  });

  it("refuses an invalid event with INVALID_EVENT and sends nothing", async () => {
    const t = await enterTestRoom();
    join(t.net.last());
    await t.clock.settle();
    expect(t.room.broadcast("x".repeat(MAX_EVENT_BYTES))).toBe(false);
    expect(t.room.broadcast({ at: Number.NaN })).toBe(false);
    expect(t.errors.map((e) => [e.code, e.fatal])).toEqual([
      ["INVALID_EVENT", false],
      ["INVALID_EVENT", false],
    ]);
    expect(t.net.last().sentOfType(MessageType.BROADCAST)).toEqual([]);
  });

  it("shares the rate budget with presence: a burst past it is refused locally with RATE_LIMITED", async () => {
    const t = await enterTestRoom();
    join(t.net.last());
    await t.clock.advance(1000); // the initial presence went out; the budget refilled
    const results = Array.from({ length: 8 }, (_, i) => t.room.broadcast({ n: i }));
    const sent = results.filter(Boolean).length;
    expect(sent).toBeGreaterThanOrEqual(3); // burst 5 less the model's reserve (rate-budget.ts)
    expect(sent).toBeLessThan(8);
    expect(results.slice(sent).every((r) => r === false)).toBe(true);
    expect(t.errors.at(-1)).toMatchObject({ code: "RATE_LIMITED", fatal: false });
    expect(t.net.last().sentOfType(MessageType.BROADCAST)).toHaveLength(sent);
    await t.clock.advance(1000);
    expect(t.room.broadcast({ n: "later" })).toBe(true);
  });
});
