import { decodeViewParam, MessageType } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { ALICE, join, peer } from "./test-support/fake-server.js";
import { enterTestRoom } from "./test-support/room-harness.js";

const WINDOW = { rect: { x0: 0, y0: 0, x1: 1000, y1: 500 }, pinned: ["bob"], cap: 50 };

describe("room: views and occupancy (PROTOCOL.md §8)", () => {
  it("declares the view after the welcome, and in the URL of every reconnect", async () => {
    const t = await enterTestRoom();
    t.room.setView(WINDOW); // before the first welcome: kept, declared on join
    const first = t.net.last();
    join(first);
    await t.clock.settle();
    const declared = first.sentOfType(MessageType.SET_VIEW);
    expect(declared).toEqual([
      {
        type: MessageType.SET_VIEW,
        view: { everyone: false, rect: WINDOW.rect, field: "cursor", pinned: ["bob"], cap: 50, roster: 0 },
      },
    ]);
    first.drop(1006);
    await t.clock.advance(10_000);
    const second = t.net.last();
    expect(second).not.toBe(first);
    // The reconnect declares the view in its URL, so its join snapshot is already the view's.
    expect(decodeViewParam(second.query.get("view") ?? "")).toEqual(declared[0]?.view);
    join(second);
    await t.clock.settle();
    expect(second.sentOfType(MessageType.SET_VIEW)).toEqual([]);
  });

  it("refuses an invalid view with an INVALID_VIEW error event and keeps the old one", async () => {
    const t = await enterTestRoom();
    join(t.net.last());
    await t.clock.settle();
    t.room.setView(WINDOW);
    t.room.setView({ rect: { x0: 10, y0: 0, x1: 0, y1: 1 } });
    t.room.setView({ pinned: Array.from({ length: 65 }, (_, i) => `u${i}`) });
    expect(t.errors.map((e) => e.code)).toEqual(["INVALID_VIEW", "INVALID_VIEW"]);
    expect(t.room.getView()).toMatchObject({ rect: WINDOW.rect, cap: 50 });
    expect(t.net.last().sentOfType(MessageType.SET_VIEW)).toHaveLength(1);
  });

  it("drops a declared view with null (the room's default again)", async () => {
    const t = await enterTestRoom();
    join(t.net.last());
    await t.clock.settle();
    t.room.setView(WINDOW);
    t.room.setView(null);
    t.room.setView(null); // nothing more to say
    await t.clock.advance(200); // view changes are spaced VIEW_SEND_INTERVAL_MS apart
    expect(
      t.net
        .last()
        .sentOfType(MessageType.SET_VIEW)
        .map((m) => m.view),
    ).toEqual([expect.objectContaining({ cap: 50 }), null]);
    expect(t.room.getView()).toBeNull();
  });

  it("sends a viewport panned at 60 Hz as its latest window at most every 100 ms, never drawing RATE_LIMITED", async () => {
    const t = await enterTestRoom();
    const socket = t.net.last();
    join(socket);
    await t.clock.settle();
    for (let frame = 0; frame < 60; frame++) {
      t.room.setView({ rect: { x0: frame, y0: 0, x1: frame + 100, y1: 100 } });
      await t.clock.advance(1000 / 60);
    }
    await t.clock.advance(200);
    const sent = socket.sentOfType(MessageType.SET_VIEW);
    expect(sent.length).toBeGreaterThanOrEqual(8);
    expect(sent.length).toBeLessThanOrEqual(11); // 10/s: the server's view bucket
    expect(sent.at(-1)?.view?.rect).toEqual({ x0: 59, y0: 0, x1: 159, y1: 100 });
  });

  it("forgets a hidden peer as a leave with reason hidden, and takes it back on enter", async () => {
    const t = await enterTestRoom();
    const socket = t.net.last();
    join(socket, { others: [peer(ALICE, { status: "editing" })] });
    await t.clock.settle();
    socket.deliver({ type: MessageType.BATCH, entries: [{ kind: "hide", connectionId: ALICE }] });
    await t.clock.settle();
    expect(t.room.getOthers()).toEqual([]);
    expect(t.others.at(-1)?.event).toMatchObject({ type: "leave", reason: "hidden" });
    socket.deliver({
      type: MessageType.BATCH,
      entries: [{ kind: "enter", ...peer(ALICE, { status: "back" }) }],
    });
    await t.clock.settle();
    expect(t.room.getOthers()).toEqual([{ connectionId: ALICE, userId: "alice", status: "back" }]);
  });

  it("counts occupancy from what it holds in a small room, and takes the server's report when there is one", async () => {
    const t = await enterTestRoom();
    const socket = t.net.last();
    const seen: unknown[] = [];
    t.room.subscribe("occupancy", (o) => seen.push(o));
    expect(t.room.getOccupancy()).toBeNull(); // not joined yet
    join(socket, { others: [peer(ALICE, {}), peer("alice-tab-2-aaaaaaaa", {}, { userId: "alice" })] });
    await t.clock.settle();
    expect(t.room.getOccupancy()).toEqual({ connections: 3, users: 2, omitted: 0 });
    expect(seen).toEqual([{ connections: 3, users: 2, omitted: 0 }]);
    socket.deliver({ type: MessageType.OCCUPANCY, connections: 10_000, users: 9_000, omitted: 40 });
    await t.clock.settle();
    expect(seen.at(-1)).toEqual({ connections: 10_000, users: 9_000, omitted: 40 });
    expect(t.room.getOccupancy()).toEqual({ connections: 10_000, users: 9_000, omitted: 40 });
    // A snapshot (here: the server answering a resync) drops the report until the server sends another.
    socket.deliver({ type: MessageType.SNAPSHOT_DONE, syncId: 0, total: 0 });
    await t.clock.settle();
    expect(t.room.getOccupancy()).toMatchObject({ omitted: 0 });
    expect(t.room.getOccupancy()?.connections).toBeLessThan(10);
  });
});
