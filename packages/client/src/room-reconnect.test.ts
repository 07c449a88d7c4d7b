import { MessageType } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { ALICE, BOB, join, peer } from "./test-support/fake-server.js";
import { enterTestRoom } from "./test-support/room-harness.js";

const alice = (state: object, epoch = 1) => peer(ALICE, state as never, { epoch });
const bob = (state: object, epoch = 1) => peer(BOB, state as never, { epoch });

describe("room: reconnecting", () => {
  it("shows no flicker when the server restarts and everyone comes back", async () => {
    const t = await enterTestRoom();
    join(t.net.last(), { others: [alice({ status: "a" }), bob({ status: "b" })] });
    await t.clock.settle();
    const list = t.room.getOthers();
    const eventsBefore = t.others.length;
    t.net.last().drop(1012); // service restart: no leave for anyone
    expect(t.room.getStatus()).toBe("reconnecting");
    expect(t.room.getOthers()).toBe(list);
    await t.clock.advance(300);
    expect(t.net.sockets).toHaveLength(2);
    join(t.net.last(), {
      others: [alice({ status: "a" }, 2), bob({ status: "b" }, 2)],
      selfState: { status: "idle" },
      welcome: { epoch: 2 },
    });
    await t.clock.settle();
    expect(t.room.getStatus()).toBe("connected");
    expect(t.room.getOthers()).toBe(list);
    expect(t.others.length).toBe(eventsBefore);
    expect(t.lost).toEqual([]);
  });

  it("re-asserts only what differs from the state the server carried over", async () => {
    const t = await enterTestRoom({ initialPresence: { status: "idle", avatar: "https://a.test/1.png" } });
    const first = t.net.last();
    join(first, { selfState: {} });
    await t.clock.settle();
    first.drop(1006);
    t.room.updatePresence({ status: "editing", avatar: undefined }); // while offline
    await t.clock.advance(300);
    const second = t.net.last();
    expect(second.query.get("cid")).toBe(first.query.get("cid"));
    expect(second.query.get("epoch")).toBe("1");
    join(second, { selfState: { status: "idle", avatar: "https://a.test/1.png" }, welcome: { epoch: 2 } });
    await t.clock.settle();
    expect(second.sentOfType(MessageType.UPDATE_PRESENCE)).toEqual([
      { type: MessageType.UPDATE_PRESENCE, set: { status: "editing" }, del: ["avatar"] },
    ]);
  });

  it("sends nothing to re-assert when the carried-over state already matches", async () => {
    const t = await enterTestRoom({ initialPresence: { status: "idle" } });
    join(t.net.last());
    await t.clock.settle();
    t.net.last().drop(1006);
    await t.clock.advance(300);
    join(t.net.last(), { selfState: { status: "idle" }, welcome: { epoch: 2 } });
    await t.clock.advance(100);
    expect(t.net.last().sentOfType(MessageType.UPDATE_PRESENCE)).toEqual([]);
  });

  it("keeps peers missing from the fresh snapshot until they re-appear", async () => {
    const t = await enterTestRoom();
    join(t.net.last(), { others: [alice({ status: "a" }), bob({ status: "b" })] });
    await t.clock.settle();
    const list = t.room.getOthers();
    t.net.last().drop(1012);
    await t.clock.advance(300);
    const socket = t.net.last();
    join(socket, { others: [alice({ status: "a" }, 2)], welcome: { epoch: 2 } }); // Bob not back yet
    await t.clock.advance(1000);
    expect(t.room.getOthers()).toBe(list);
    socket.deliver({ type: MessageType.BATCH, entries: [{ kind: "enter", ...bob({ status: "b" }, 2) }] });
    expect(t.room.getOthers()).toBe(list);
    await t.clock.advance(10_000);
    expect(t.room.getOthers()).toBe(list);
    expect(t.lost).toEqual([]);
  });

  it("removes lingering peers that do not come back within lostConnectionTimeout", async () => {
    const t = await enterTestRoom({ lostConnectionTimeout: 5000 });
    join(t.net.last(), { others: [alice({ status: "a" }), bob({ status: "b" })] });
    await t.clock.settle();
    t.net.last().drop(1012);
    await t.clock.advance(300);
    join(t.net.last(), { others: [alice({ status: "a" }, 2)], welcome: { epoch: 2 } });
    await t.clock.advance(4999);
    expect(t.room.getOther(BOB)).toBeDefined();
    await t.clock.advance(1);
    expect(t.room.getOther(BOB)).toBeUndefined();
    expect(t.others.at(-1)?.event).toMatchObject({
      type: "leave",
      reason: "expired",
      user: { connectionId: BOB },
    });
    expect(t.room.getOthers().map((u) => u.connectionId)).toEqual([ALICE]);
  });

  it("clears others and fires lost-connection when the outage outlasts lostConnectionTimeout", async () => {
    const t = await enterTestRoom({ lostConnectionTimeout: 5000 });
    join(t.net.last(), { others: [alice({ status: "a" })] });
    await t.clock.settle();
    t.net.last().drop(1006);
    // The server stays down: every attempt fails.
    for (let elapsed = 0; elapsed < 4900; elapsed += 100) {
      await t.clock.advance(100);
      const last = t.net.last();
      if (last.readyState === 0) last.drop(1006);
    }
    expect(t.lost).toEqual([]);
    expect(t.room.getOthers()).toHaveLength(1);
    await t.clock.advance(100);
    expect(t.lost).toEqual(["lost"]);
    expect(t.room.getOthers()).toEqual([]);
    expect(t.others.at(-1)?.event).toEqual({ type: "reset" });
    await t.clock.advance(10_000);
    const socket = t.net.last();
    if (socket.readyState !== 0) throw new Error("expected a pending attempt");
    join(socket, { others: [alice({ status: "a" }, 2)], welcome: { epoch: 2 } });
    expect(t.lost).toEqual(["lost", "restored"]);
    expect(t.room.getOthers().map((u) => u.connectionId)).toEqual([ALICE]);
  });

  it("gives up on SESSION_REPLACED: disconnected, others cleared, lost-connection failed", async () => {
    const t = await enterTestRoom();
    join(t.net.last(), { others: [alice({ status: "a" })] });
    await t.clock.settle();
    t.net
      .last()
      .deliver({ type: MessageType.ERROR, code: "SESSION_REPLACED", message: "replaced", fatal: true });
    t.net.last().drop(4009);
    expect(t.room.getStatus()).toBe("disconnected");
    expect(t.errors).toEqual([{ code: "SESSION_REPLACED", message: "replaced", fatal: true }]);
    expect(t.lost).toEqual(["failed"]);
    expect(t.room.getOthers()).toEqual([]);
    await t.clock.advance(60_000);
    expect(t.net.sockets).toHaveLength(1);
  });

  it("adopts the connectionId the server assigned and keeps its identity key across reconnects", async () => {
    const t = await enterTestRoom();
    const assigned = "assignedByServerAAAAAA";
    join(t.net.last(), { welcome: { connectionId: assigned }, others: [alice({})] });
    await t.clock.settle();
    expect(t.room.connectionId).toBe(assigned);
    expect(t.room.getSelf()?.connectionId).toBe(assigned);
    expect(t.room.getOthers().map((u) => u.connectionId)).toEqual([ALICE]);
    const key = t.net.last().query.get("key");
    t.net.last().drop(1006);
    await t.clock.advance(300);
    expect(t.net.last().query.get("key")).toBe(key);
    expect(t.net.last().query.get("cid")).toBeNull();
  });
});
