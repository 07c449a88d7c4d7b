// A room's outbox (docs/ARCHITECTURE.md#the-edge): every change of the room's
// replica is queued here, coalesced per connection, and leaves at the next flush
// — whose timing is the flush scheduler's (flush-scheduler.ts). A flush routes
// the entries through the views, runs a due occupancy pass (whose numbers ride
// in the batches), writes them (room-fanout.ts) and owes a snapshot to members
// whose kind of view changed.
import type { BatchEntry, PresenceReplica } from "@collabblocks/protocol";
import { drainQueue, type EntryQueue, enqueueEntry } from "../limits/coalesce.js";
import { LARGE_ROOM_ARRIVAL_MS, type RoomViews } from "../views/room-views.js";
import type { EntryAliases } from "./entry-aliases.js";
import {
  createFlushScheduler,
  type FlushScheduler,
  type FlushTimers,
  NODE_TIMERS,
} from "./flush-scheduler.js";
import type { MemberSnapshots } from "./member-snapshots.js";
import type { OccupancyNotifier } from "./occupancy-notifier.js";
import type { RoomFanout } from "./room-fanout.js";
import type { RoomMember } from "./room-member.js";
import type { SlowMembers } from "./slow-members.js";

export interface RoomOutboxOptions<M extends RoomMember> {
  readonly replica: PresenceReplica;
  /** The room's entry aliases (revision-3 members): told when each flush is over. */
  readonly aliases: EntryAliases;
  readonly members: ReadonlyMap<string, M>;
  readonly views: RoomViews;
  readonly fanout: RoomFanout;
  readonly slow: SlowMembers<M>;
  readonly snapshots: MemberSnapshots<M>;
  readonly occupancy: OccupancyNotifier<M>;
  readonly tickMs: number;
  readonly cpuShare?: number;
  /** Is other work waiting for the event loop (joins in flight)? Dear flushes then keep to their share. */
  readonly contended?: () => boolean;
  /** Monotonic clock, ms. */
  readonly now: () => number;
  readonly timers?: FlushTimers;
}

export interface RoomOutbox {
  /** A change the replica applied: views learn it, and it leaves at the next flush. */
  enqueue(entry: BatchEntry): void;
  /** Views need a routing pass (a view changed, an occupancy pass is due) even with nothing queued. */
  requestViews(): void;
  /** Entries queued for the next flush. */
  readonly pending: number;
  readonly scheduler: FlushScheduler;
  /** Cancels the scheduled flush and the views' wake-up (the room closed). */
  close(): void;
}

/**
 * Must this room's flushes, once dearer than the tick, keep to their share of the
 * core (flush-scheduler.ts)? While joins wait, yes; and in a room mostly served the
 * shared frame (`everyone` of `members` see everyone): there every flush writes
 * every such socket, so spacing flushes out saves writes in proportion (the S3
 * slice at 2 000 wrote twice the frames flushing back to back). A room of filtered
 * connections writes only where its updates go, whatever the spacing: spacing it
 * only delays them.
 */
export function dearFlushesShare(everyone: number, members: number, contended: boolean): boolean {
  return contended || everyone * 2 >= members;
}

export function createRoomOutbox<M extends RoomMember>(options: RoomOutboxOptions<M>): RoomOutbox {
  const { replica, members, views, fanout, slow, snapshots, occupancy } = options;
  const queue: EntryQueue = new Map();
  let pending = 0;
  let viewsPending = false;
  const timers = options.timers ?? NODE_TIMERS;
  let viewsTimer: unknown;

  const flush = (): void => {
    if (pending === 0 && !viewsPending) return;
    viewsPending = false;
    const entries = pending === 0 ? [] : drainQueue(queue);
    pending = 0;
    // Members whose OCCUPANCY is due on its own get a write anyway: their waiting arrivals go along.
    const routed = views.route(entries, occupancy.settling());
    // A due occupancy pass first: what it owes rides in this flush's batches.
    occupancy.flush();
    fanout.filtered(routed);
    occupancy.settle();
    for (const cid of views.takeSnapshotRequests()) {
      const m = members.get(cid);
      if (m !== undefined) slow.owe(m, 0);
    }
    if (entries.length > 0) fanout.shared(entries);
    options.aliases.flushed();
    // Arrivals and re-selections spaced out: route again once they are due, even in a quiet room.
    if (views.waiting() && viewsTimer === undefined) {
      viewsTimer = timers.setTimeout(() => {
        viewsTimer = undefined;
        viewsPending = true;
        scheduler.request();
      }, LARGE_ROOM_ARRIVAL_MS);
    }
  };

  const contended = options.contended ?? (() => true);
  const scheduler = createFlushScheduler({
    tickMs: options.tickMs,
    cpuShare: options.cpuShare,
    mustShare: () => dearFlushesShare(views.everyone().size, members.size, contended()),
    now: options.now,
    timers: options.timers,
    flush,
  });

  return {
    enqueue(entry) {
      snapshots.invalidate();
      views.observe(entry, replica.get(entry.connectionId));
      occupancy.changed();
      pending += enqueueEntry(queue, entry);
      scheduler.request();
    },
    requestViews() {
      viewsPending = true;
      scheduler.request();
    },
    get pending() {
      return pending;
    },
    scheduler,
    close() {
      scheduler.cancel();
      if (viewsTimer !== undefined) timers.clearTimeout(viewsTimer);
      viewsTimer = undefined;
    },
  };
}
