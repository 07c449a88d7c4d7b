// One room as an edge holds it (docs/ARCHITECTURE.md#the-edge): its members and
// its parts, composed here. The room's replica is kept in step with the pod by
// replica-sync.ts (everything this edge has forwarded, so joiners get their
// snapshot without asking the pod); every change goes to the outbox
// (room-outbox.ts), whose flush routes it through the views and writes it
// (room-fanout.ts): one frame, encoded once, to every socket that sees everyone.
// Sockets that fall behind, and snapshots owed, are slow-members.ts's; writing a
// snapshot is member-snapshots.ts's; OCCUPANCY is occupancy-notifier.ts's.
import {
  type BatchEntry,
  DEFAULT_LARGE_ROOM_THRESHOLD,
  type LeaveEntry,
  PresenceReplica,
  type RelayedMessage,
  type ViewSpec,
} from "@collabblocks/protocol";
import type { EdgeLink } from "../link/edge-link.js";
import { type Clock, systemClock } from "../ops/clock.js";
import type { ServerStats } from "../ops/metrics.js";
import { createRoomViews, type RoomViews } from "../views/room-views.js";
import { createEntryAliases } from "./entry-aliases.js";
import type { FlushScheduler, FlushTimers } from "./flush-scheduler.js";
import type { KnownConnection, KnownConnections } from "./known-connections.js";
import { createMemberSnapshots } from "./member-snapshots.js";
import { createOccupancyNotifier } from "./occupancy-notifier.js";
import { createReplicaSync } from "./replica-sync.js";
import { createRoomFanout } from "./room-fanout.js";
import type { RoomMember } from "./room-member.js";
import { createRoomOutbox } from "./room-outbox.js";
import { createSlowMembers } from "./slow-members.js";
import { type Framed, writeFramedReply } from "./socket-writes.js";

export type { RoomMember } from "./room-member.js";

export interface EdgeRoomOptions<M extends RoomMember = RoomMember> {
  readonly roomId: string;
  readonly link: EdgeLink;
  readonly stats: ServerStats;
  /** The edge's memory of connectionId → (user, last epoch), shared by its rooms. */
  readonly known: KnownConnections;
  readonly tickMs: number;
  readonly cpuShare?: number;
  /** Is other work waiting for this edge's event loop (joins in flight)? Paces the room's dear flushes (room-outbox.ts). */
  readonly contended?: () => boolean;
  /** Above this many connections, connections without a view get the large-room default (PROTOCOL.md §8). */
  readonly largeRoomThreshold?: number;
  /** Monotonic clock, ms. */
  readonly now: () => number;
  readonly timers?: FlushTimers;
  /** Runs the slow sockets' drain poll (slow-members.ts); default the system clock. */
  readonly clock?: Pick<Clock, "setInterval" | "clearInterval">;
  /** A remote connection took over the id of a local one (same cid, newer epoch, elsewhere). */
  readonly onReplaced: (member: M) => void;
  /** The room has nothing local left (no members, ghosts or joins in progress). */
  readonly onIdle: (room: EdgeRoom<M>) => void;
  readonly onError?: (err: unknown, context: string) => void;
  /** EVENT or PEER_LOST from a connection elsewhere (PROTOCOL.md §9), for the local members. */
  readonly onEvent?: (roomId: string, event: RelayedMessage) => void;
}

/** One room on this edge; `M` is what the edge keeps per member (its connections). */
export interface EdgeRoom<M extends RoomMember = RoomMember> {
  readonly roomId: string;
  readonly replica: PresenceReplica;
  readonly members: Map<string, M>;
  /** Resolves when the room's state has been loaded from the pod. */
  readonly ready: Promise<void>;
  /** Joins in progress, ghosts and other holds keeping the room alive without members. */
  holds: number;
  /** Last user and epoch seen per connectionId, also after it left. */
  known(connectionId: string): KnownConnection | undefined;
  /** Applies, queues and forwards an entry of a local connection (already validated and sequenced). */
  publish(entry: BatchEntry): void;
  /**
   * Adds a member and sends it the snapshot. The member's identity (user, epoch)
   * is remembered at once; its enter is published now unless `deferred`, in which
   * case the connection publishes it later (connection.ts ENTER_DEFER_MS).
   */
  join(member: M, enter: BatchEntry & { kind: "enter" }, deferred?: boolean, view?: ViewSpec): void;
  /** Removes a member, publishing its leave if given. */
  remove(member: M, leave: LeaveEntry | undefined): void;
  /**
   * Owes the member its snapshot (its view of the room) with the given syncId
   * (0 = server-initiated): written at once when the socket keeps up and the
   * member's snapshot byte budget allows, else as soon as both do.
   */
  sendSnapshot(member: M, syncId: number): void;
  /** Declares a member's view (undefined: the room's default); applied at the next flush. */
  setView(member: M, view: ViewSpec | undefined): void;
  /** The room's views (what each local connection holds). */
  readonly views: RoomViews;
  /** Entries waiting in this room's queues (room and slow sockets), for the backlog gauge. */
  backlog(): number;
  /** The room's flush scheduler (cost, load, flush counts: diagnostics and benchmarks). */
  readonly scheduler: FlushScheduler;
  /** Called when holds drop to zero. */
  checkIdle(): void;
  close(): void;
}

/** The room's parts, wired: each takes what it needs of the others (the outbox is reached late, from a timer). */
function createRoomParts<M extends RoomMember>(options: EdgeRoomOptions<M>) {
  const { stats, now } = options;
  const replica = new PresenceReplica();
  const aliases = createEntryAliases(replica);
  const members = new Map<string, M>();
  const views = createRoomViews({
    largeRoomThreshold: options.largeRoomThreshold ?? DEFAULT_LARGE_ROOM_THRESHOLD,
    stateOf: (cid) => replica.get(cid),
    now,
  });
  const occupancy = createOccupancyNotifier({
    views,
    members,
    now,
    timers: options.timers,
    send: (m, frame) => sendReply(stats, m, frame),
    requestFlush: () => outbox.requestViews(),
  });
  const snapshots = createMemberSnapshots<M>({
    replica,
    aliases,
    views,
    stats,
    now,
    onSent: (m) => {
      occupancy.snapshotSent(m);
      m.snapshotPass = fanout.passes;
    },
  });
  const clock = options.clock ?? systemClock;
  const slow = createSlowMembers({ members, snapshots, aliases, stats, now, clock });
  const fanout = createRoomFanout({ members, views, slow, stats, aliases, rider: occupancy.rider });
  const outbox = createRoomOutbox({
    ...options,
    replica,
    aliases,
    members,
    views,
    fanout,
    slow,
    snapshots,
    occupancy,
  });
  const sync = createReplicaSync({
    ...options,
    replica,
    members,
    views,
    changed: outbox.enqueue,
    reloaded: snapshots.invalidate,
  });
  return { replica, members, views, occupancy, slow, outbox, sync };
}

export function createEdgeRoom<M extends RoomMember>(options: EdgeRoomOptions<M>): EdgeRoom<M> {
  const { roomId } = options;
  const { replica, members, views, occupancy, slow, outbox, sync } = createRoomParts(options);
  let closed = false;

  const room: EdgeRoom<M> = {
    roomId,
    replica,
    members,
    ready: sync.ready,
    holds: 0,
    known: (cid) => options.known.get(roomId, cid),
    publish: sync.publish,
    join(member, enter, deferred = false, view = undefined) {
      views.addViewer(member.connectionId, view);
      if (deferred) sync.remember(enter.connectionId, enter.userId, enter.epoch);
      else sync.publish(enter);
      members.set(member.connectionId, member);
      slow.owe(member, 0);
    },
    remove(member, leave) {
      if (members.get(member.connectionId) !== member) return;
      members.delete(member.connectionId);
      views.removeViewer(member.connectionId);
      slow.forget(member);
      if (leave) sync.publish(leave);
      room.checkIdle();
    },
    sendSnapshot: slow.owe,
    setView(member, view) {
      if (members.get(member.connectionId) !== member) return;
      views.setView(member.connectionId, view);
      occupancy.changed();
      outbox.requestViews();
    },
    views,
    scheduler: outbox.scheduler,
    backlog: () => outbox.pending + slow.backlog(),
    checkIdle() {
      if (!closed && members.size === 0 && room.holds <= 0) options.onIdle(room);
    },
    close() {
      if (closed) return;
      closed = true;
      outbox.close();
      occupancy.close();
      slow.close();
      sync.close();
    },
  };
  sync.ready.catch((err: unknown) => options.onError?.(err, "room sync"));
  return room;
}

/** OCCUPANCY is a reply: dropped while the socket is behind (the next pass sends the numbers again). */
function sendReply(stats: ServerStats, member: RoomMember, frame: Framed): boolean {
  if (!writeFramedReply(member.ws, frame, member)) {
    stats.repliesDropped++;
    return false;
  }
  stats.framesOut++;
  stats.bytesOut += frame.payload.length;
  return true;
}
