// One room as an edge holds it: the room's replica (everything this edge has
// forwarded, so joiners get their snapshot without asking the pod), the local
// sockets, and the adaptive fan-out (docs/ARCHITECTURE.md#the-edge): pending entries coalesce per
// connection and leave as one frame, encoded once and written to every socket.
// Slow sockets (bufferedAmount > 32 KB) are skipped and get a private coalesced
// backlog; after 1 s of backlog it is dropped and a fresh snapshot is sent once
// the socket drains. A slow reader never delays the room. Snapshots are owed,
// not queued: one per connection at most (the latest syncId wins), written when
// the socket keeps up and its snapshot byte budget allows (docs/SECURITY.md#amplification).
import {
  assertNever,
  type BatchEntry,
  batchFrameFromEntries,
  type ClientBatchEntry,
  DEFAULT_LARGE_ROOM_THRESHOLD,
  encode,
  encodeBatchEntry,
  type LeaveEntry,
  MessageType,
  type PeerState,
  PresenceReplica,
  type RelayedMessage,
  type ViewSpec,
} from "@collabblocks/protocol";
import type { WebSocket } from "ws";
import { drainQueue, type EntryQueue, enqueueEntry } from "../limits/coalesce.js";
import { SNAPSHOT_BYTES } from "../limits/snapshot-budget.js";
import { spendTokens, type TokenBucket } from "../limits/token-bucket.js";
import type { EdgeLink } from "../link/edge-link.js";
import type { ServerStats } from "../ops/metrics.js";
import { createRoomViews, type RoomViews } from "../views/room-views.js";
import { createFlushScheduler, type FlushScheduler, type FlushTimers } from "./flush-scheduler.js";
import type { KnownConnection, KnownConnections } from "./known-connections.js";
import { createOccupancyNotifier } from "./occupancy-notifier.js";
import { createSnapshotCache, encodeSnapshotFrames } from "./snapshot-frames.js";
import { keepsUp, writeFrame, writeReply } from "./socket-writes.js";

/** A backlog older than this is dropped for a fresh snapshot, ms (docs/ARCHITECTURE.md#the-edge). */
export const BACKLOG_DROP_MS = 1000;
/** How often lagging sockets are checked for drain, ms. */
const LAG_POLL_MS = 20;

/** What the room needs from a local connection. */
export interface RoomMember {
  readonly connectionId: string;
  readonly ws: WebSocket;
  /** Private coalesced backlog while the socket is slow; undefined when in step with the room. */
  lag: EntryQueue | undefined;
  lagSince: number;
  /** The syncId of a snapshot owed to this member (written once it keeps up and its budget allows). */
  snapshotDue: number | undefined;
  /** Snapshot bytes this member may still be sent (SNAPSHOT_BYTES; joins count too). */
  readonly snapshotBytes: TokenBucket;
}

export interface EdgeRoomOptions<M extends RoomMember = RoomMember> {
  readonly roomId: string;
  readonly link: EdgeLink;
  readonly stats: ServerStats;
  /** The edge's memory of connectionId → (user, last epoch), shared by its rooms. */
  readonly known: KnownConnections;
  readonly tickMs: number;
  readonly cpuShare?: number;
  /** Above this many connections, connections without a view get the large-room default (PROTOCOL.md §8). */
  readonly largeRoomThreshold?: number;
  /** Monotonic clock, ms. */
  readonly now: () => number;
  readonly timers?: FlushTimers;
  /** A remote connection took over the id of a local one (same cid, newer epoch, elsewhere). */
  readonly onReplaced: (member: M) => void;
  /** The room has nothing local left (no members, ghosts or joins in progress). */
  readonly onIdle: (room: EdgeRoom<M>) => void;
  readonly onError?: (err: unknown, context: string) => void;
  /** EVENT or PEER_LOST from a connection elsewhere (PROTOCOL.md §9), for the local members. */
  readonly onEvent?: (room: EdgeRoom<M>, event: RelayedMessage) => void;
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
  /** Adds a member: its enter is published, then it gets the snapshot (which includes itself). */
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

export function createEdgeRoom<M extends RoomMember>(options: EdgeRoomOptions<M>): EdgeRoom<M> {
  const { roomId, link, stats, now } = options;
  const replica = new PresenceReplica();
  const members = new Map<string, M>();
  const pending: EntryQueue = new Map();
  let pendingCount = 0;
  /** Views need a routing pass (a view changed) even when no entry is pending. */
  let viewsPending = false;
  const views = createRoomViews({
    largeRoomThreshold: options.largeRoomThreshold ?? DEFAULT_LARGE_ROOM_THRESHOLD,
    stateOf: (cid) => replica.get(cid),
    now,
  });
  let lagging = 0;
  let lagTimer: ReturnType<typeof setInterval> | undefined;
  let loaded = false;
  let early: BatchEntry[] = [];
  let resyncing = false;
  let closed = false;

  const remember = (cid: string, userId: string, epoch: number): void =>
    options.known.remember(roomId, cid, userId, epoch);

  const send = (member: RoomMember, frame: Uint8Array, entries: number): void => {
    writeFrame(member.ws, frame);
    stats.framesOut++;
    stats.bytesOut += frame.length;
    stats.updatesOut += entries;
  };

  /**
   * Filtered members' own batches (PROTOCOL.md §8). Each entry is encoded once per
   * flush, and members with the same selection share one assembled frame. A slow
   * member is not queued for: it gets a snapshot of its view once drained.
   */
  const sendFiltered = (routed: Map<string, ClientBatchEntry[]>): void => {
    const bytes = new Map<ClientBatchEntry, { readonly index: number; readonly data: Uint8Array }>();
    const frames = new Map<string, Uint8Array>();
    for (const [cid, entries] of routed) {
      const m = members.get(cid);
      if (m === undefined) continue;
      if (m.lag === undefined && !keepsUp(m.ws)) {
        stats.slowSocketSkips++;
        startLagging(m);
      }
      if (m.lag !== undefined) {
        m.snapshotDue ??= 0;
        continue;
      }
      const parts = entries.map((e) => {
        let b = bytes.get(e);
        if (b === undefined) {
          b = { index: bytes.size, data: encodeBatchEntry(e) };
          bytes.set(e, b);
        }
        return b;
      });
      const key = parts.map((p) => p.index).join(",");
      let frame = frames.get(key);
      if (frame === undefined) {
        frame = batchFrameFromEntries(parts.map((p) => p.data));
        frames.set(key, frame);
      }
      send(m, frame, entries.length);
    }
  };

  const flush = (): void => {
    if (pendingCount === 0 && !viewsPending) return;
    viewsPending = false;
    const entries = pendingCount === 0 ? [] : drainQueue(pending);
    pendingCount = 0;
    sendFiltered(views.route(entries));
    for (const cid of views.takeSnapshotRequests()) {
      const m = members.get(cid);
      if (m !== undefined) requestSnapshot(m, 0);
    }
    occupancy.flush();
    if (entries.length > 0) shareFrame(entries);
  };

  function* everyoneMembers(cids: ReadonlySet<string>): Generator<M> {
    for (const cid of cids) {
      const m = members.get(cid);
      if (m !== undefined) yield m;
    }
  }

  /** One frame, encoded once, to every member that sees everyone. */
  const shareFrame = (entries: BatchEntry[]): void => {
    const everyone = views.everyone();
    if (everyone.size === 0) return;
    const frame = encode({ type: MessageType.BATCH, entries });
    let sent = 0;
    // Without filtered members (small rooms) walk the members directly: no lookup per socket.
    const walkAll = everyone.size >= members.size;
    const targets = walkAll ? members.values() : everyoneMembers(everyone);
    for (const m of targets) {
      if (walkAll && !views.isEveryone(m.connectionId)) continue;
      if (m.lag === undefined && !keepsUp(m.ws)) {
        stats.slowSocketSkips++;
        startLagging(m);
      }
      if (m.lag !== undefined) {
        if (m.snapshotDue === undefined) for (const e of entries) enqueueEntry(m.lag, e);
        continue;
      }
      writeFrame(m.ws, frame);
      sent++;
    }
    stats.framesOut += sent;
    stats.bytesOut += sent * frame.length;
    stats.updatesOut += sent * entries.length;
  };

  const scheduler: FlushScheduler = createFlushScheduler({
    tickMs: options.tickMs,
    cpuShare: options.cpuShare,
    now,
    timers: options.timers,
    flush,
  });

  /** Every replica change goes through here: views learn it, fan-out queues it. */
  const enqueue = (entry: BatchEntry): void => {
    snapshots.invalidate();
    views.observe(entry, replica.get(entry.connectionId));
    occupancy.changed();
    pendingCount += enqueueEntry(pending, entry);
    scheduler.request();
  };

  /** The room's whole snapshot, assembled once per change (edge-room's enqueue invalidates it). */
  const snapshots = createSnapshotCache(() => replica.snapshot());

  /** Writes the member's owed snapshot now (the caller checked back-pressure and budget). */
  const writeSnapshot = (member: M, syncId: number): void => {
    member.snapshotDue = undefined;
    const held = views.snapshotFor(member.connectionId);
    const { frames, chunks, bytes } =
      held === "everyone"
        ? snapshots.frames(syncId)
        : encodeSnapshotFrames(
            held.map((cid) => replica.get(cid)).filter((p): p is PeerState => p !== undefined),
            syncId,
          );
    spendTokens(member.snapshotBytes, SNAPSHOT_BYTES, now(), bytes);
    for (const frame of frames) send(member, frame, 0);
    stats.snapshotChunks += chunks;
    occupancy.snapshotSent(member);
  };

  const mayWriteSnapshot = (member: M): boolean =>
    keepsUp(member.ws) && spendTokens(member.snapshotBytes, SNAPSHOT_BYTES, now(), 0);

  /**
   * Owes the member a snapshot: written now when it keeps up and has budget,
   * else by the lag poll. A client's syncId replaces an owed one (the SDK waits
   * only for its latest request); a server-initiated 0 never replaces a client's.
   */
  const requestSnapshot = (member: M, syncId: number): void => {
    if (member.snapshotDue === undefined || syncId !== 0) member.snapshotDue = syncId;
    if (member.lag !== undefined) return;
    if (mayWriteSnapshot(member)) writeSnapshot(member, syncId);
    else startLagging(member);
  };

  const occupancy = createOccupancyNotifier({
    views,
    members,
    now,
    timers: options.timers,
    send: (m, frame) => {
      if (!writeReply(m.ws, frame)) {
        stats.repliesDropped++;
        return false;
      }
      stats.framesOut++;
      stats.bytesOut += frame.length;
      return true;
    },
    requestFlush: () => {
      viewsPending = true;
      scheduler.request();
    },
  });

  const checkLagging = (): void => {
    const t = now();
    for (const m of members.values()) {
      if (m.lag === undefined) continue;
      if (m.snapshotDue === undefined && t - m.lagSince > BACKLOG_DROP_MS) {
        m.lag.clear();
        m.snapshotDue = 0;
        stats.backlogResets++;
      }
      const due = m.snapshotDue;
      if (due !== undefined ? !mayWriteSnapshot(m) : !keepsUp(m.ws)) continue;
      const backlog = m.lag;
      m.lag = undefined;
      lagging--;
      if (due !== undefined) writeSnapshot(m, due);
      else {
        const entries = drainQueue(backlog);
        if (entries.length > 0) send(m, encode({ type: MessageType.BATCH, entries }), entries.length);
      }
    }
    if (lagging <= 0 && lagTimer) {
      lagging = 0;
      clearInterval(lagTimer);
      lagTimer = undefined;
    }
  };

  /** Takes the member out of the room's fan-out until it keeps up again (checkLagging). */
  const startLagging = (member: M): void => {
    member.lag = new Map();
    member.lagSince = now();
    lagging++;
    if (!lagTimer) lagTimer = setInterval(checkLagging, LAG_POLL_MS);
  };

  const applyRemote = (entries: readonly BatchEntry[]): void => {
    let gap = false;
    for (const e of entries) {
      const outcome = replica.apply(e);
      switch (outcome.kind) {
        case "entered": {
          remember(e.connectionId, outcome.peer.userId, outcome.peer.epoch);
          const local = members.get(e.connectionId);
          if (local && !isLocalVersion(outcome.peer)) options.onReplaced(local);
          enqueue(e);
          break;
        }
        case "updated":
        case "left":
          enqueue(e);
          break;
        case "gap":
          gap = true;
          break;
        case "stale":
        case "hidden": // only clients apply hide entries; the link never carries one
          break;
        default:
          assertNever(outcome);
      }
    }
    if (gap) void resync();
  };

  /** Local members' entries are only ever produced here: a remote enter for one means another socket took it. */
  const localEpochs = new Map<string, number>();
  const isLocalVersion = (peer: PeerState): boolean => localEpochs.get(peer.connectionId) === peer.epoch;

  /** Re-reads the pod's state after a gap; local connections keep the state this edge holds. */
  const resync = async (): Promise<void> => {
    if (resyncing || closed) return;
    resyncing = true;
    try {
      const snapshot = await link.syncRequest(roomId);
      if (closed) return;
      const mine = [...members.keys()].map((cid) => replica.get(cid)).filter((p) => p !== undefined);
      snapshots.invalidate();
      for (const change of replica.applySnapshot(snapshot)) {
        if (change.kind === "entered") enqueue({ kind: "enter", ...change.peer });
        else if (!members.has(change.previous.connectionId)) {
          const p = change.previous;
          enqueue({
            kind: "leave",
            connectionId: p.connectionId,
            epoch: p.epoch,
            clock: p.clock,
            reason: "expired",
          });
        }
      }
      for (const p of mine) {
        const now = replica.get(p.connectionId);
        if (!now || now.epoch !== p.epoch || now.clock < p.clock) {
          replica.put(p);
          enqueue({ kind: "enter", ...p });
          link.write(roomId, [{ kind: "enter", ...p }]);
        }
      }
    } finally {
      resyncing = false;
    }
  };

  link.attach(roomId, {
    onEntries(entries) {
      if (closed) return;
      if (!loaded) for (const e of entries) early.push(e);
      else applyRemote(entries);
    },
    onEvent(event) {
      if (!closed) options.onEvent?.(room, event);
    },
    onReset() {
      if (closed) return;
      // The room moved to another pod (split mode), which may not know this edge's
      // connections: re-assert them first, so that it owns them (and keeps them alive
      // on the bus) and has them in the snapshot; then resync what changed meanwhile.
      // Before the first snapshot the link asks the new pod again by itself.
      const mine: BatchEntry[] = [];
      for (const cid of members.keys()) {
        const peer = replica.get(cid);
        if (peer) mine.push({ kind: "enter", ...peer });
      }
      if (mine.length > 0) link.write(roomId, mine);
      if (loaded) void resync();
    },
  });
  const ready = link.syncRequest(roomId).then((snapshot) => {
    replica.applySnapshot(snapshot);
    snapshots.invalidate();
    for (const p of snapshot) {
      remember(p.connectionId, p.userId, p.epoch);
      views.observe({ kind: "enter", ...p }, p);
    }
    loaded = true;
    const buffered = early;
    early = [];
    applyRemote(buffered);
  });

  const room: EdgeRoom<M> = {
    roomId,
    replica,
    members,
    ready,
    holds: 0,
    known: (cid) => options.known.get(roomId, cid),
    publish(entry) {
      replica.apply(entry);
      if (entry.kind === "enter") {
        remember(entry.connectionId, entry.userId, entry.epoch);
        localEpochs.set(entry.connectionId, entry.epoch);
      } else if (entry.kind === "leave") localEpochs.delete(entry.connectionId);
      enqueue(entry);
      link.write(roomId, [entry]);
    },
    join(member, enter, deferred = false, view = undefined) {
      views.addViewer(member.connectionId, view);
      if (deferred) remember(enter.connectionId, enter.userId, enter.epoch);
      else room.publish(enter);
      members.set(member.connectionId, member);
      requestSnapshot(member, 0);
    },
    remove(member, leave) {
      if (members.get(member.connectionId) !== member) return;
      members.delete(member.connectionId);
      views.removeViewer(member.connectionId);
      if (member.lag !== undefined) lagging--;
      member.lag = undefined;
      if (leave) room.publish(leave);
      room.checkIdle();
    },
    sendSnapshot: requestSnapshot,
    setView(member, view) {
      if (members.get(member.connectionId) !== member) return;
      views.setView(member.connectionId, view);
      occupancy.changed();
      viewsPending = true;
      scheduler.request();
    },
    views,
    scheduler,
    backlog() {
      let n = pendingCount;
      for (const m of members.values()) if (m.lag) n += m.lag.size;
      return n;
    },
    checkIdle() {
      if (!closed && members.size === 0 && room.holds <= 0) options.onIdle(room);
    },
    close() {
      if (closed) return;
      closed = true;
      scheduler.cancel();
      occupancy.close();
      if (lagTimer) clearInterval(lagTimer);
      link.detach(roomId);
    },
  };
  ready.catch((err: unknown) => options.onError?.(err, "room sync"));
  return room;
}
