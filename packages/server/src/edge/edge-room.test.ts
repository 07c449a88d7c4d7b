import { decodeServerMessage, LARGE_ROOM_DEFAULT_VIEW, MessageType } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { edgeRoomFixture } from "../test-support/fake-edge-room.js";
import {
  batchEntries,
  enterEntry as enter,
  fakeRoomMember,
  updateEntry as update,
} from "../test-support/fake-room-member.js";
import type { EdgeRoom } from "./edge-room.js";
import { BACKLOG_DROP_MS, LAG_POLL_MS } from "./slow-members.js";
import { BACKPRESSURE_BYTES } from "./socket-writes.js";

const setup = () => edgeRoomFixture(3);

function join(room: EdgeRoom, cid: string) {
  const m = fakeRoomMember(cid);
  room.join(m.member, enter(cid));
  return m;
}

/** Members joined and flushed, with what they received so far cleared. */
function joinAll(room: EdgeRoom, flush: () => void, ...cids: string[]) {
  const joined = cids.map((cid) => join(room, cid));
  flush();
  for (const m of joined) {
    m.frames.length = 0;
    m.received.length = 0;
  }
  return joined as [ReturnType<typeof join>, ReturnType<typeof join>];
}

describe("edge room", () => {
  it("sends the joiner a snapshot that includes itself", async () => {
    const { room } = await setup();
    const a = join(room, "a");
    expect(a.received.map((m) => m.type)).toEqual([MessageType.SNAPSHOT_CHUNK, MessageType.SNAPSHOT_DONE]);
    expect(a.received[1]).toMatchObject({ syncId: 0, total: 1 });
    expect(room.known("a")).toMatchObject({ userId: "a", epoch: 1 });
  });

  it("coalesces a connection's pending updates and writes one frame, the same bytes, to every socket", async () => {
    const { room, flush, stats } = await setup();
    const [a, b] = joinAll(room, flush, "a", "b");
    room.publish(update("a", 1, { x: 1 }));
    room.publish(update("a", 2, { y: 2 }));
    room.publish(update("b", 1, { z: 3 }));
    expect(room.backlog()).toBe(2);
    flush();
    expect(a.frames).toHaveLength(1);
    expect(b.frames[0]).toBe(a.frames[0]); // encoded once
    expect(decodeServerMessage(a.frames[0] as Uint8Array)).toMatchObject({
      type: MessageType.BATCH,
      entries: [
        { connectionId: "a", base: 0, clock: 2, set: { x: 1, y: 2 } },
        { connectionId: "b", base: 0, clock: 1, set: { z: 3 } },
      ],
    });
    expect(stats.framesOut).toBeGreaterThanOrEqual(2);
  });

  it("skips a socket over 32 KB buffered and sends it its coalesced backlog once the poll sees it drained", async () => {
    const { room, flush, stats, clock } = await setup();
    const [, slow] = joinAll(room, flush, "a", "slow");
    slow.ws.bufferedAmount = BACKPRESSURE_BYTES + 1;
    room.publish(update("a", 1, { x: 1 }));
    flush();
    room.publish(update("a", 2, { x: 2 }));
    flush();
    expect(slow.received).toHaveLength(0);
    expect(stats.slowSocketSkips).toBe(1);
    expect(room.backlog()).toBe(1); // one coalesced entry waiting for the slow socket
    await clock.advance(LAG_POLL_MS);
    expect(slow.received).toHaveLength(0); // still behind
    slow.ws.bufferedAmount = 0;
    await clock.advance(LAG_POLL_MS);
    expect(batchEntries(slow)).toEqual([
      { kind: "update", connectionId: "a", epoch: 1, base: 0, clock: 2, set: { x: 2 }, del: [] },
    ]);
    expect(room.backlog()).toBe(0);
    expect(clock.pending).toBe(0); // the poll stops when nobody lags
    room.close();
  });

  it("replaces a backlog older than 1 s with a fresh snapshot once the socket drains", async () => {
    const { room, flush, stats, clock } = await setup();
    const [, slow] = joinAll(room, flush, "a", "slow");
    slow.ws.bufferedAmount = BACKPRESSURE_BYTES + 1;
    room.publish(update("a", 1, { x: 1 }));
    flush();
    await clock.advance(BACKLOG_DROP_MS + LAG_POLL_MS);
    expect(stats.backlogResets).toBe(1);
    expect(room.backlog()).toBe(0);
    expect(slow.received).toHaveLength(0);
    slow.ws.bufferedAmount = 0;
    await clock.advance(LAG_POLL_MS);
    expect(slow.received.map((m) => m.type)).toEqual([MessageType.SNAPSHOT_CHUNK, MessageType.SNAPSHOT_DONE]);
    expect(slow.received[0]).toMatchObject({ syncId: 0 });
    room.close();
  });

  it("publishes a removed member's leave, and says it is idle when the last member and hold are gone", async () => {
    const { room, flush, idle } = await setup();
    const [a, b] = joinAll(room, flush, "a", "b");
    room.remove(a.member, { kind: "leave", connectionId: "a", epoch: 1, clock: 0, reason: "left" });
    expect(room.members.has("a")).toBe(false);
    flush();
    expect(batchEntries(b)).toMatchObject([{ kind: "leave", connectionId: "a" }]);
    room.holds = 1;
    room.remove(b.member, undefined);
    expect(idle).toEqual([]);
    room.holds = 0;
    room.checkIdle();
    expect(idle).toEqual([room]);
  });

  it("sends a member that declares a view a snapshot of what it selects, then occupancy", async () => {
    const { room, flush } = await setup();
    const a = join(room, "a");
    join(room, "b");
    flush();
    a.received.length = 0;
    room.setView(a.member, { ...LARGE_ROOM_DEFAULT_VIEW, roster: 0 });
    flush();
    expect(room.views.isEveryone("a")).toBe(false);
    expect(a.received.map((m) => m.type)).toEqual([
      MessageType.SNAPSHOT_CHUNK,
      MessageType.SNAPSHOT_DONE,
      MessageType.OCCUPANCY,
    ]);
    expect(a.received[1]).toMatchObject({ total: 1 }); // only itself
    expect(a.received[2]).toMatchObject({ connections: 2, users: 2 });
  });

  it("never names a connection by an alias the joiner was not told: a leave pending at its snapshot keeps the full id", async () => {
    const { room, flush } = await setup();
    const a = fakeRoomMember("a", 0, 4);
    room.join(a.member, enter("a"));
    const x = fakeRoomMember("x", 0, 4);
    room.join(x.member, enter("x"));
    flush(); // a is told x's alias
    room.remove(x.member, { kind: "leave", connectionId: "x", epoch: 1, clock: 0, reason: "left" });
    const n = fakeRoomMember("n", 0, 4); // its snapshot no longer holds x, whose leave is still pending
    room.join(n.member, enter("n"));
    flush();
    expect(batchEntries(n).filter((e) => e.kind === "leave")).toMatchObject([{ connectionId: "x" }]);
    expect(batchEntries(a).filter((e) => e.kind === "leave")).toMatchObject([{ connectionId: "x" }]);
    const aliased = a.frames.at(-1) as Uint8Array;
    expect(aliased.length).toBeLessThan((n.frames.at(-1) as Uint8Array).length); // a, told the alias, gets the short leave
  });

  it("names by id a leave whose connection's enter never went out in a batch (it entered and left between two flushes)", async () => {
    const { room, flush } = await setup();
    const a = fakeRoomMember("a", 0, 4);
    room.join(a.member, enter("a"));
    flush();
    const x = fakeRoomMember("x", 0, 4);
    room.join(x.member, enter("x")); // x's own snapshot gives x an alias; a is never sent x's enter
    room.remove(x.member, { kind: "leave", connectionId: "x", epoch: 1, clock: 0, reason: "left" });
    flush();
    expect(batchEntries(a).filter((e) => e.kind === "leave")).toMatchObject([{ connectionId: "x" }]);
  });

  it("names leaves by id in a slow member's backlog (its coalesced backlog may hold a leave whose enter it never got)", async () => {
    const { room, flush, clock } = await setup();
    const a = fakeRoomMember("a", 0, 4);
    room.join(a.member, enter("a"));
    flush();
    a.ws.bufferedAmount = BACKPRESSURE_BYTES + 1;
    const x = fakeRoomMember("x", 0, 4);
    room.join(x.member, enter("x"));
    flush(); // x's enter goes out in a batch, but a is behind: it goes to a's backlog
    room.remove(x.member, { kind: "leave", connectionId: "x", epoch: 1, clock: 0, reason: "left" });
    flush();
    a.ws.bufferedAmount = 0;
    await clock.advance(LAG_POLL_MS);
    expect(batchEntries(a).filter((e) => e.kind === "leave")).toMatchObject([{ connectionId: "x" }]);
  });

  it("stops flushing and polling once closed", async () => {
    const { room, flush, clock } = await setup();
    const a = join(room, "a");
    a.ws.bufferedAmount = BACKPRESSURE_BYTES + 1;
    room.publish(update("a", 1, { x: 1 }));
    flush();
    expect(clock.pending).toBe(1); // the drain poll
    room.close();
    expect(clock.pending).toBe(0);
    expect(room.scheduler.scheduled).toBe(false);
  });
});
