// OCCUPANCY for one edge room (PROTOCOL.md §8): the room's exact size and what
// each connection's window left out. Sent only to connections that do not see
// everyone: one that sees everyone counts the room itself, exactly, so small
// rooms stay as they were and S3-like rooms pay no extra write per socket. A connection gets one right
// after each snapshot it is sent, then whenever its numbers change, in passes over
// the room spaced by occupancyInterval(): a join storm in a room of 10 000 costs
// one frame per socket per second, not one per flush (a pass is a write per socket,
// the dearest thing a server does; the first profile of L1 had 43 % of the core in
// occupancy writes at four passes a second).
import { encode, MessageType } from "@collabblocks/protocol";
import type { RoomViews } from "../views/room-views.js";
import { type FlushTimers, NODE_TIMERS } from "./flush-scheduler.js";

/** Shortest interval between two occupancy passes over a room, ms. */
export const OCCUPANCY_INTERVAL_MS = 250;
/**
 * A pass writes to every socket of the room, so big rooms space passes out:
 * at least this long per member, ms (10 000 members: a pass per second, about a
 * tenth of a core of writes), never more than OCCUPANCY_MAX_INTERVAL_MS.
 */
export const OCCUPANCY_MS_PER_MEMBER = 0.1;
export const OCCUPANCY_MAX_INTERVAL_MS = 2000;

/** How long after a pass the next may run, for a room of `size` local members, ms. */
export function occupancyInterval(size: number): number {
  return Math.min(OCCUPANCY_MAX_INTERVAL_MS, Math.max(OCCUPANCY_INTERVAL_MS, size * OCCUPANCY_MS_PER_MEMBER));
}

/** What the notifier needs of a room member (edge-room's RoomMember has more). */
export interface OccupancyMember {
  readonly connectionId: string;
  /** Set while the socket is slow: it is skipped until it catches up. */
  readonly lag: unknown;
}

export interface OccupancyNotifierOptions<M extends OccupancyMember> {
  readonly views: RoomViews;
  readonly members: ReadonlyMap<string, M>;
  readonly now: () => number;
  readonly timers?: FlushTimers;
  /** Writes a reply; false when the socket was behind and it was dropped (the next pass sends the numbers again). */
  readonly send: (member: M, frame: Uint8Array) => boolean;
  /** Asks the room for a flush (the pass runs inside flushes). */
  readonly requestFlush: () => void;
}

export interface OccupancyNotifier<M extends OccupancyMember> {
  /** The room changed: a pass is due. */
  changed(): void;
  /** A member was just sent a snapshot: its occupancy follows it at once. */
  snapshotSent(member: M): void;
  /** Runs a due pass (called in the room's flush). */
  flush(): void;
  close(): void;
}

export function createOccupancyNotifier<M extends OccupancyMember>(
  options: OccupancyNotifierOptions<M>,
): OccupancyNotifier<M> {
  const { views, members, now } = options;
  const timers = options.timers ?? NODE_TIMERS;
  const lastSent = new Map<string, string>();
  let due = false;
  let lastPass = Number.NEGATIVE_INFINITY;
  let timer: unknown;

  const wants = (cid: string): boolean => !views.isEveryone(cid);

  function sendTo(member: M, frames: Map<string, Uint8Array>): void {
    const cid = member.connectionId;
    if (!wants(cid)) {
      lastSent.delete(cid);
      return;
    }
    const o = views.occupancy(cid);
    const key = `${o.connections}/${o.users}/${o.omitted}`;
    if (lastSent.get(cid) === key) return;
    let frame = frames.get(key);
    if (frame === undefined) {
      frame = encode({ type: MessageType.OCCUPANCY, ...o });
      frames.set(key, frame);
    }
    if (options.send(member, frame)) lastSent.set(cid, key);
  }

  return {
    changed() {
      due = true;
    },
    snapshotSent(member) {
      lastSent.delete(member.connectionId);
      sendTo(member, new Map());
    },
    flush() {
      if (!due) return;
      const wait = lastPass + occupancyInterval(members.size) - now();
      if (wait > 0) {
        timer ??= timers.setTimeout(() => {
          timer = undefined;
          options.requestFlush();
        }, wait);
        return;
      }
      due = false;
      lastPass = now();
      const frames = new Map<string, Uint8Array>();
      for (const m of members.values()) if (m.lag === undefined) sendTo(m, frames);
      for (const cid of lastSent.keys()) if (!members.has(cid)) lastSent.delete(cid);
    },
    close() {
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
    },
  };
}
