// OCCUPANCY for one edge room (PROTOCOL.md §8): the room's exact size and what
// each connection's window left out. Sent only to connections that do not see
// everyone: one that sees everyone counts the room itself, exactly, so small
// rooms stay as they were and S3-like rooms pay no extra write per socket. A
// connection gets one right after each snapshot it is sent, then whenever its
// numbers change, after passes over the room spaced by occupancyInterval().
// A pass writes nothing itself: it marks the members owed, and each owed
// member's numbers ride in the same write as the next batch it is sent
// (rider()); only those that get no batch before the next interval are written
// on their own (settle()). A write per socket is the dearest thing a server does
// (the first profile of L1 had 43 % of the core in occupancy writes at four
// passes a second; a pass per second of standalone writes still took 14 % of a
// 10 000-member join storm), and in a busy room nearly every member gets a
// batch within the interval, so occupancy costs almost no writes of its own.
import { encode, MessageType } from "@collabblocks/protocol";
import type { RoomViews } from "../views/room-views.js";
import { type FlushTimers, NODE_TIMERS } from "./flush-scheduler.js";
import { type Framed, preframe } from "./socket-writes.js";

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

/** Resolution of Node's timers, ms: a timer may fire this much before its time on a fractional clock. */
const TIMER_GRAIN_MS = 1;

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
  readonly send: (member: M, frame: Framed) => boolean;
  /** Asks the room for a flush (the pass runs inside flushes). */
  readonly requestFlush: () => void;
}

export interface OccupancyNotifier<M extends OccupancyMember> {
  /** The room changed: a pass is due. */
  changed(): void;
  /** A member was just sent a snapshot: its occupancy follows it at once. */
  snapshotSent(member: M): void;
  /**
   * The member is about to be written a batch: the OCCUPANCY it is owed, if any,
   * to go in the same write (its numbers changed since it was last sent them).
   */
  rider(member: M): Framed | undefined;
  /**
   * The members a due settle will write on their own in this flush (undefined: no
   * settle due): whatever else they are owed can go in that write (view-routing.ts).
   */
  settling(): ReadonlySet<string> | undefined;
  /** Runs a due pass (called in the room's flush, before its batches are written). */
  flush(): void;
  /** Writes a due settle: what members still owe after the flush's batches (called after them). */
  settle(): void;
  close(): void;
}

/**
 * Each member's last numbers sent, and the OCCUPANCY frames of one pass, framed
 * once per distinct (connections, users, omitted) however many members get them.
 */
function createOccupancyFrames(views: RoomViews) {
  const lastSent = new Map<string, string>();
  let frames = new Map<string, Framed>();
  /** The frame the member should be sent now, or undefined when its last numbers still hold. */
  function frameFor(cid: string): { key: string; frame: Framed } | undefined {
    if (views.isEveryone(cid)) {
      lastSent.delete(cid);
      return undefined;
    }
    const o = views.occupancy(cid);
    const key = `${o.connections}/${o.users}/${o.omitted}`;
    if (lastSent.get(cid) === key) return undefined;
    let frame = frames.get(key);
    if (frame === undefined) {
      frame = preframe(encode({ type: MessageType.OCCUPANCY, ...o }));
      frames.set(key, frame);
    }
    return { key, frame };
  }
  return {
    lastSent,
    frameFor,
    resetFrames: () => {
      frames = new Map();
    },
  };
}

/** One timer that asks for a flush at the earliest time asked for. */
function createWakeTimer(timers: FlushTimers, now: () => number, onWake: () => void) {
  let timer: unknown;
  let timerAt = Number.POSITIVE_INFINITY;
  return {
    at(at: number): void {
      if (timer !== undefined && timerAt <= at) return;
      if (timer !== undefined) timers.clearTimeout(timer);
      timerAt = at;
      timer = timers.setTimeout(
        () => {
          timer = undefined;
          timerAt = Number.POSITIVE_INFINITY;
          onWake();
        },
        Math.max(0, at - now()),
      );
    },
    close(): void {
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
    },
  };
}

export function createOccupancyNotifier<M extends OccupancyMember>(
  options: OccupancyNotifierOptions<M>,
): OccupancyNotifier<M> {
  const { views, members, now } = options;
  const timers = options.timers ?? NODE_TIMERS;
  const { lastSent, frameFor, resetFrames } = createOccupancyFrames(views);
  /** Members a pass found owing, not yet written: they ride their next batch until settleAt. */
  const owed = new Set<string>();
  let due = false;
  let lastPass = Number.NEGATIVE_INFINITY;
  let settleAt = Number.POSITIVE_INFINITY;
  /** A settle was due when this flush began: it is written after the flush's batches. */
  let settleNow = false;
  const wake = createWakeTimer(timers, now, options.requestFlush);

  function sendTo(member: M): void {
    const next = frameFor(member.connectionId);
    if (next !== undefined && options.send(member, next.frame)) lastSent.set(member.connectionId, next.key);
  }

  /** Writes what the last pass's members still owe on their own (no batch came for them in time). */
  function settle(): void {
    settleNow = false;
    settleAt = Number.POSITIVE_INFINITY;
    for (const cid of owed) {
      const m = members.get(cid);
      if (m !== undefined && m.lag === undefined) sendTo(m);
    }
    owed.clear();
    for (const cid of lastSent.keys()) if (!members.has(cid)) lastSent.delete(cid);
  }

  /** Is a settle due in this flush? Once true, it stays so until the settle is written. */
  function settleDue(): boolean {
    // Node's timers have a 1 ms grain and may fire that much early against a fractional clock.
    settleNow ||= owed.size > 0 && now() + TIMER_GRAIN_MS >= settleAt;
    return settleNow;
  }

  return {
    changed() {
      due = true;
    },
    snapshotSent(member) {
      lastSent.delete(member.connectionId);
      owed.delete(member.connectionId);
      sendTo(member);
    },
    rider(member) {
      if (!owed.delete(member.connectionId)) return undefined;
      const next = frameFor(member.connectionId);
      if (next === undefined) return undefined;
      lastSent.set(member.connectionId, next.key);
      return next.frame;
    },
    settling() {
      return settleDue() ? owed : undefined;
    },
    flush() {
      const t = now();
      settleDue();
      if (owed.size > 0 && !settleNow) wake.at(settleAt);
      if (!due) return;
      // Nobody filtered (small rooms without views): no one is owed anything, no pass to time.
      if (views.allEveryone()) {
        due = false;
        return;
      }
      const wait = lastPass + occupancyInterval(members.size) - t;
      if (wait > 0) return wake.at(t + wait);
      due = false;
      lastPass = t;
      resetFrames();
      for (const m of members.values()) if (!views.isEveryone(m.connectionId)) owed.add(m.connectionId);
      if (owed.size === 0 || settleNow) return; // a settle due now writes them after the batches
      settleAt = t + occupancyInterval(members.size);
      wake.at(settleAt);
    },
    settle() {
      if (settleNow) settle();
    },
    close: wake.close,
  };
}
