// The pod (docs/ARCHITECTURE.md#data-flow-split-mode, docs/SCALING.md#pod-and-redis-the-rules): keeps each room's authoritative state, broadcasts one
// edge's writes to the other edges attached to the room, shares them with other
// pods through the bus, and applies what other pods wrote. It implements the
// pod side of the link (PodEndpoint), so the same object serves the in-process
// link and, later, the gRPC server. The local path never waits on the bus.
import {
  assertNever,
  type BatchEntry,
  chunkSnapshot,
  type PeerState,
  type RelayedMessage,
} from "@collabblocks/protocol";
import type { PresenceBus } from "../bus/bus.js";
import type { EdgeFrame, PodEndpoint, PodFrame, PodSession } from "../link/frames.js";
import { createPresenceManager, type PresenceManager } from "./presence-manager.js";
import type { PresenceShard, ShardSession } from "./presence-shard.js";

/** How often the pod refreshes last-seen of its live connections on the bus, ms (docs/SCALING.md#pod-and-redis-the-rules). */
export const TOUCH_INTERVAL_MS = 1000;

export interface PodOptions {
  readonly podId: string;
  /** Rooms kept in memory (`--max-rooms`, default 1 000). */
  readonly maxRooms?: number;
  /** Shares rooms with other pods; without one the pod serves its edges alone. */
  readonly bus?: PresenceBus;
  readonly touchIntervalMs?: number;
  /** Reports unexpected internal errors (e.g. a bus join that failed). */
  readonly onError?: (err: unknown, context: string) => void;
}

export interface Pod extends PodEndpoint {
  readonly podId: string;
  readonly manager: PresenceManager;
  close(): Promise<void>;
}

interface Session extends ShardSession {
  readonly send: (frame: PodFrame) => void;
  readonly rooms: Set<string>;
  open: boolean;
}

export function createPod(options: PodOptions): Pod {
  const { podId, bus } = options;
  const sessions = new Set<Session>();

  const forward = (shard: PresenceShard, entries: readonly BatchEntry[], except?: Session): void => {
    if (entries.length === 0) return;
    const frame: PodFrame = { type: "update", roomId: shard.roomId, entries };
    for (const s of shard.sessions) if (s !== except) (s as Session).send(frame);
  };

  /** Applies entries; returns those that changed the replica (or revealed a gap, for the edges to resync). */
  const applyAll = (shard: PresenceShard, entries: readonly BatchEntry[]): BatchEntry[] => {
    const applied: BatchEntry[] = [];
    for (const e of entries) {
      if (shard.replica.apply(e).kind !== "stale") applied.push(e);
    }
    return applied;
  };

  const onBusEntries = (roomId: string, entries: readonly BatchEntry[]): void => {
    const shard = manager.peek(roomId);
    if (!shard) return;
    // An expiry of a connection this pod still holds is not applied here: its socket is
    // alive, and it is re-asserted to the other pods (scaled mode) rather than dropped.
    const foreign = entries.filter((e) => !(e.kind === "leave" && shard.owners.has(e.connectionId)));
    forward(shard, applyAll(shard, foreign));
  };

  const manager = createPresenceManager({
    maxRooms: options.maxRooms,
    onCreate(shard) {
      if (!bus) return;
      shard.ready = bus
        .join(
          shard.roomId,
          (entries) => onBusEntries(shard.roomId, entries),
          (event) => relay(shard.roomId, event),
        )
        .then((state: readonly PeerState[]) => {
          const entered = state.map((p): BatchEntry => ({ kind: "enter", ...p }));
          forward(shard, applyAll(shard, entered));
        })
        .catch((err: unknown) => options.onError?.(err, "bus join"));
    },
    onEvict(shard) {
      bus?.leave(shard.roomId);
    },
  });

  const write = (session: Session, shard: PresenceShard, entries: readonly BatchEntry[]): void => {
    for (const e of entries) {
      if (e.kind === "enter") shard.owners.set(e.connectionId, session);
      else if (e.kind === "leave" && shard.owners.get(e.connectionId) === session)
        shard.owners.delete(e.connectionId);
    }
    const applied = applyAll(shard, entries);
    forward(shard, applied, session);
    // A stale enter is shared too: it is an edge re-asserting its connection after the
    // room moved to this pod (split-mode failover), and the bus must learn that this pod
    // now owns it (keeps it alive); for other replicas it is a harmless duplicate.
    const shared =
      applied.length === entries.length
        ? applied
        : entries.filter((e) => e.kind === "enter" || applied.includes(e));
    if (shared.length > 0) bus?.publish(shard.roomId, shared);
  };

  /** A broadcast event (PROTOCOL.md §9) to the room's edges but the one it came from; never stored. */
  const relay = (roomId: string, event: RelayedMessage, except?: Session): void => {
    const shard = manager.peek(roomId);
    if (!shard) return;
    const frame: PodFrame = { type: "event", roomId, event };
    for (const s of shard.sessions) if (s !== except) (s as Session).send(frame);
  };

  const sync = async (session: Session, roomId: string, syncId: number): Promise<void> => {
    const shard = manager.get(roomId);
    await shard.ready;
    if (!session.open) return;
    const peers = shard.replica.snapshot();
    for (const chunk of chunkSnapshot(peers)) {
      session.send({ type: "snapshot-chunk", roomId, syncId, entries: chunk });
    }
    session.send({ type: "snapshot-done", roomId, syncId, total: peers.length });
  };

  const receive = (session: Session, frame: EdgeFrame): void => {
    if (!session.open) return;
    switch (frame.type) {
      case "attach": {
        manager.get(frame.roomId).sessions.add(session);
        session.rooms.add(frame.roomId);
        return;
      }
      case "write":
        write(session, manager.get(frame.roomId), frame.entries);
        return;
      case "sync-request":
        sync(session, frame.roomId, frame.syncId).catch((err: unknown) => options.onError?.(err, "sync"));
        return;
      case "event":
        relay(frame.roomId, frame.event, session);
        bus?.publishEvent(frame.roomId, frame.event);
        return;
      case "detach": {
        const shard = manager.peek(frame.roomId);
        session.rooms.delete(frame.roomId);
        if (shard) {
          shard.sessions.delete(session);
          // The edge has no connections here any more, or moved the room to another pod
          // (split mode), where it re-asserted them. No leave: they live on.
          release(session, shard);
          manager.trim();
        }
        return;
      }
      default:
        assertNever(frame);
    }
  };

  /**
   * Stops keeping a session's connections of a room alive: they are no longer this
   * pod's. The touch tells the bus what the pod still owns (it forgets the rest), so
   * the bus's sweeper expires them within ~3 s unless another pod re-asserts them.
   */
  const release = (session: Session, shard: PresenceShard): void => {
    let released = false;
    for (const [cid, owner] of shard.owners) {
      if (owner !== session) continue;
      shard.owners.delete(cid);
      released = true;
    }
    if (released) bus?.touch(shard.roomId, [...shard.owners.keys()]);
  };

  /**
   * An edge went away. With a bus its connections are released and expire through
   * the sweeper unless the edge re-asserts them (on this or another pod) first: a
   * stream lost to a network blip, or a room moved by split-mode failover, must not
   * expire live connections (an `expired` floor would then hide their re-assert,
   * which carries the same version). Without a bus nobody sweeps: they expire now
   * (no tombstone, a reconnect brings them back).
   */
  const closeSession = (session: Session): void => {
    if (!session.open) return;
    session.open = false;
    sessions.delete(session);
    for (const shard of manager.shards()) {
      shard.sessions.delete(session);
      if (bus) {
        release(session, shard);
        continue;
      }
      const leaves: BatchEntry[] = [];
      for (const [cid, owner] of shard.owners) {
        if (owner !== session) continue;
        const peer = shard.replica.get(cid);
        if (peer) {
          leaves.push({
            kind: "leave",
            connectionId: cid,
            epoch: peer.epoch,
            clock: peer.clock,
            reason: "expired",
          });
        } else shard.owners.delete(cid);
      }
      if (leaves.length > 0) write(session, shard, leaves);
    }
    manager.trim();
  };

  const touchInterval = options.touchIntervalMs ?? TOUCH_INTERVAL_MS;
  const touchTimer = bus
    ? setInterval(() => {
        for (const shard of manager.shards()) {
          if (shard.owners.size > 0) bus.touch(shard.roomId, [...shard.owners.keys()]);
        }
      }, touchInterval)
    : undefined;
  touchTimer?.unref();

  return {
    podId,
    manager,
    openSession(edgeId, send): PodSession {
      const session: Session = { edgeId, send, rooms: new Set(), open: true };
      sessions.add(session);
      return {
        receive: (frame) => receive(session, frame),
        close: () => closeSession(session),
      };
    },
    async close() {
      if (touchTimer) clearInterval(touchTimer);
      for (const s of [...sessions]) {
        s.open = false;
        sessions.delete(s);
      }
      await bus?.close();
    },
  };
}
