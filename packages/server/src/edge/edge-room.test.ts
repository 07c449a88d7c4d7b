import {
  type BatchEntry,
  decodeServerMessage,
  MessageType,
  type ServerMessage,
} from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import type { WebSocket } from "ws";
import { SNAPSHOT_BYTES } from "../limits/snapshot-budget.js";
import { createTokenBucket } from "../limits/token-bucket.js";
import { createInProcessLink } from "../link/in-process.js";
import { createMetrics } from "../ops/metrics.js";
import { createPod } from "../pod/pod.js";
import { BACKLOG_DROP_MS, createEdgeRoom, type EdgeRoom, type RoomMember } from "./edge-room.js";
import type { FlushTimers } from "./flush-scheduler.js";
import { createKnownConnections } from "./known-connections.js";
import { BACKPRESSURE_BYTES } from "./socket-writes.js";

/** A socket stand-in: records decoded frames; `bufferedAmount` is set by the test. */
function fakeMember(connectionId: string) {
  const received: ServerMessage[] = [];
  const frames: Uint8Array[] = [];
  const ws = {
    bufferedAmount: 0,
    send(frame: Uint8Array) {
      frames.push(frame);
      received.push(decodeServerMessage(frame));
    },
  };
  const member: RoomMember = {
    connectionId,
    ws: ws as unknown as WebSocket,
    lag: undefined,
    lagSince: 0,
    snapshotDue: undefined,
    snapshotBytes: createTokenBucket(SNAPSHOT_BYTES, 0),
  };
  return { member, ws, received, frames };
}

/** Manual immediates: flushes happen when the test says so. */
function manualTimers() {
  const queue: (() => void)[] = [];
  const timers: FlushTimers = {
    setImmediate: (fn) => queue.push(fn),
    setTimeout: (fn) => queue.push(fn),
    clearImmediate: () => {},
    clearTimeout: () => {},
  };
  return {
    timers,
    run: () => {
      for (const fn of queue.splice(0)) fn();
    },
  };
}

async function setup() {
  let t = 0;
  const pod = createPod({ podId: "p" });
  const metrics = createMetrics(
    { connections: () => 0, rooms: () => 0, backlog: () => 0, evictions: () => 0 },
    { defaultMetrics: false },
  );
  const manual = manualTimers();
  const room = createEdgeRoom({
    roomId: "r",
    link: createInProcessLink(pod, "e"),
    stats: metrics.stats,
    known: createKnownConnections(),
    tickMs: 16,
    now: () => t,
    timers: manual.timers,
    onReplaced: () => {},
    onIdle: () => {},
  });
  await room.ready;
  return { room, stats: metrics.stats, flush: manual.run, advance: (ms: number) => (t += ms) };
}

const enter = (cid: string): BatchEntry & { kind: "enter" } => ({
  kind: "enter",
  connectionId: cid,
  userId: cid,
  info: undefined,
  epoch: 1,
  clock: 0,
  state: {},
});
const update = (cid: string, clock: number, set: Record<string, number>): BatchEntry => ({
  kind: "update",
  connectionId: cid,
  epoch: 1,
  base: clock - 1,
  clock,
  set,
  del: [],
});

function join(room: EdgeRoom, cid: string) {
  const m = fakeMember(cid);
  room.join(m.member, enter(cid));
  return m;
}

describe("edge room fan-out", () => {
  it("sends the joiner a snapshot that includes itself", async () => {
    const { room } = await setup();
    const a = join(room, "a");
    expect(a.received.map((m) => m.type)).toEqual([MessageType.SNAPSHOT_CHUNK, MessageType.SNAPSHOT_DONE]);
    expect(a.received[1]).toMatchObject({ syncId: 0, total: 1 });
  });

  it("coalesces a connection's pending updates and writes one frame, the same bytes, to every socket", async () => {
    const { room, flush, stats } = await setup();
    const a = join(room, "a");
    const b = join(room, "b");
    flush();
    a.frames.length = 0;
    b.frames.length = 0;
    room.publish(update("a", 1, { x: 1 }));
    room.publish(update("a", 2, { y: 2 }));
    room.publish(update("b", 1, { z: 3 }));
    flush();
    expect(a.frames).toHaveLength(1);
    expect(b.frames[0]).toBe(a.frames[0]); // encoded once
    const batch = decodeServerMessage(a.frames[0]!);
    expect(batch).toMatchObject({
      type: MessageType.BATCH,
      entries: [
        { connectionId: "a", base: 0, clock: 2, set: { x: 1, y: 2 } },
        { connectionId: "b", base: 0, clock: 1, set: { z: 3 } },
      ],
    });
    expect(stats.framesOut).toBeGreaterThanOrEqual(2);
  });

  it("skips a socket over 32 KB buffered and later sends it its coalesced backlog", async () => {
    const { room, flush, stats } = await setup();
    join(room, "a");
    const slow = join(room, "slow");
    flush();
    slow.frames.length = 0;
    slow.received.length = 0;
    slow.ws.bufferedAmount = BACKPRESSURE_BYTES + 1;
    room.publish(update("a", 1, { x: 1 }));
    flush();
    room.publish(update("a", 2, { x: 2 }));
    flush();
    expect(slow.frames).toHaveLength(0);
    expect(stats.slowSocketSkips).toBe(1);
    expect(room.backlog()).toBe(1); // one coalesced entry waiting for the slow socket
    slow.ws.bufferedAmount = 0;
    room.publish(update("a", 3, { x: 3 }));
    flush(); // the slow socket is still marked lagging: the poll timer sends its backlog
    await new Promise((r) => setTimeout(r, 50));
    const entries = slow.received.flatMap((m) => (m.type === MessageType.BATCH ? m.entries : []));
    expect(entries).toEqual([
      { kind: "update", connectionId: "a", epoch: 1, base: 0, clock: 3, set: { x: 3 }, del: [] },
    ]);
    room.close();
  });

  it("replaces a backlog older than 1 s with a fresh snapshot once the socket drains", async () => {
    const { room, flush, advance, stats } = await setup();
    const a = join(room, "a");
    const slow = join(room, "slow");
    flush();
    slow.received.length = 0;
    slow.ws.bufferedAmount = BACKPRESSURE_BYTES + 1;
    room.publish(update("a", 1, { x: 1 }));
    flush();
    advance(BACKLOG_DROP_MS + 1);
    await new Promise((r) => setTimeout(r, 50)); // the lag poll drops the backlog
    expect(stats.backlogResets).toBe(1);
    expect(slow.received).toHaveLength(0);
    slow.ws.bufferedAmount = 0;
    await new Promise((r) => setTimeout(r, 50));
    expect(slow.received.map((m) => m.type)).toEqual([MessageType.SNAPSHOT_CHUNK, MessageType.SNAPSHOT_DONE]);
    expect(slow.received[0]).toMatchObject({ syncId: 0 });
    expect(a.received.length).toBeGreaterThan(0);
    room.close();
  });
});
