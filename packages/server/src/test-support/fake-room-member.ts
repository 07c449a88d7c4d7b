// For unit tests of the edge room and its parts (edge/edge-room.ts): members
// with a socket stand-in that decodes what the room writes to it, its
// `bufferedAmount` set by the test to play a slow reader (no real sockets: the
// room only ever calls send, reads bufferedAmount and checks readyState,
// edge/socket-writes.ts); the entries a test publishes; flush timers that run
// when the test says so; and what the room's parts share, without the room.
import {
  type BatchEntry,
  type ClientBatchEntry,
  createEntryAliasTable,
  decodeServerMessage,
  MessageType,
  type PresenceData,
  PresenceReplica,
  type ServerMessage,
  type ViewSpec,
} from "@collabblocks/protocol";
import type { WebSocket } from "ws";
import { createEntryAliases, readsAliases } from "../edge/entry-aliases.js";
import type { FlushTimers } from "../edge/flush-scheduler.js";
import type { RoomMember } from "../edge/room-member.js";
import { SNAPSHOT_BYTES } from "../limits/snapshot-budget.js";
import { createTokenBucket } from "../limits/token-bucket.js";
import { createMetrics } from "../ops/metrics.js";
import { createRoomViews } from "../views/room-views.js";
import { createFakeClock } from "./fake-clock.js";

export interface FakeRoomMember {
  readonly member: RoomMember;
  readonly ws: { bufferedAmount: number };
  /** Every frame written to the socket, decoded. */
  readonly received: ServerMessage[];
  /** Every frame written to the socket, as bytes. */
  readonly frames: Uint8Array[];
}

/** @param rev the protocol revision the member reads: from 3 its socket decodes with an alias table, as the SDK does. */
export function fakeRoomMember(connectionId: string, now = 0, rev?: number): FakeRoomMember {
  const received: ServerMessage[] = [];
  const frames: Uint8Array[] = [];
  const aliases = readsAliases(rev) ? createEntryAliasTable() : undefined;
  const ws = {
    readyState: 1,
    OPEN: 1,
    bufferedAmount: 0,
    send(frame: Uint8Array) {
      frames.push(frame);
      received.push(decodeServerMessage(frame, undefined, aliases));
    },
  };
  const member: RoomMember = {
    connectionId,
    ws: ws as unknown as WebSocket,
    rev,
    lag: undefined,
    lagSince: 0,
    snapshotDue: undefined,
    pingOwed: false,
    snapshotBytes: createTokenBucket(SNAPSHOT_BYTES, now),
  };
  return { member, ws, received, frames };
}

/** The entries of every BATCH the member received. */
export function batchEntries(m: FakeRoomMember): ClientBatchEntry[] {
  return m.received.flatMap((msg) => (msg.type === MessageType.BATCH ? msg.entries : []));
}

export const enterEntry = (
  cid: string,
  epoch = 1,
  state: PresenceData = {},
): BatchEntry & { kind: "enter" } => ({
  kind: "enter",
  connectionId: cid,
  userId: cid,
  info: undefined,
  epoch,
  clock: 0,
  state,
});

export const updateEntry = (cid: string, clock: number, set: PresenceData, epoch = 1): BatchEntry => ({
  kind: "update",
  connectionId: cid,
  epoch,
  base: clock - 1,
  clock,
  set,
  del: [],
});

/** Manual immediates: flushes happen when the test says so. */
export function manualFlushTimers() {
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

/** What the edge room's parts share, without the room: replica, members, views, stats, a fake clock. */
export function roomFixture(largeRoomThreshold = 100) {
  const clock = createFakeClock();
  const replica = new PresenceReplica();
  const members = new Map<string, RoomMember>();
  const aliases = createEntryAliases(replica);
  const views = createRoomViews({ largeRoomThreshold, stateOf: (cid) => replica.get(cid), now: clock.now });
  const { stats } = createMetrics(
    { connections: () => 0, rooms: () => 0, backlog: () => 0, evictions: () => 0 },
    { defaultMetrics: false },
  );
  /** A local member that entered the room (replica, views) and is a member, with its fake socket. */
  const add = (cid: string, view?: ViewSpec, rev?: number): FakeRoomMember => {
    const entry = enterEntry(cid);
    replica.apply(entry);
    views.addViewer(cid, view);
    views.observe(entry, replica.get(cid));
    const m = fakeRoomMember(cid, clock.now(), rev);
    members.set(cid, m.member);
    return m;
  };
  return { clock, replica, aliases, members, views, stats, add };
}
