// The pod (docs/ARCHITECTURE.md#data-flow-split-mode, docs/SCALING.md#pod-and-redis-the-rules): keeps each room's authoritative state, broadcasts one
// edge's writes to the other edges attached to the room, shares them with other
// pods through the bus, and applies what other pods wrote. It implements the
// pod side of the link (PodEndpoint), so the same object serves the in-process
// link and the gRPC server (rpc/pod-rpc-server.ts). The local path never waits on the bus.
// Parts: pod-fanout.ts (apply, forward, share), pod-sessions.ts (an edge leaving),
// pod-snapshot.ts (sync requests); the touch timer runs on the injected clock.
import { assertNever, type BatchEntry, type PeerState } from "@collabblocks/protocol";
import type { PresenceBus } from "../bus/bus.js";
import type { EdgeFrame, PodEndpoint, PodSession } from "../link/frames.js";
import { type Clock, systemClock } from "../ops/clock.js";
import {
  applyAll,
  applyFromBus,
  forward,
  type PodSessionState,
  relayToEdges,
  writeFromEdge,
} from "./pod-fanout.js";
import { closeSession, releaseConnections } from "./pod-sessions.js";
import { sendSnapshot } from "./pod-snapshot.js";
import { createPresenceManager, type PresenceManager } from "./presence-manager.js";

/** How often the pod refreshes last-seen of its live connections on the bus, ms (docs/SCALING.md#pod-and-redis-the-rules). */
export const TOUCH_INTERVAL_MS = 1000;

export interface PodOptions {
  readonly podId: string;
  /** Rooms kept in memory (`--max-rooms`, default 1 000). */
  readonly maxRooms?: number;
  /** Shares rooms with other pods; without one the pod serves its edges alone. */
  readonly bus?: PresenceBus;
  readonly touchIntervalMs?: number;
  /** Timer of the touch; default the system clock. */
  readonly clock?: Clock;
  /** Reports unexpected internal errors (e.g. a bus join that failed). */
  readonly onError?: (err: unknown, context: string) => void;
}

export interface Pod extends PodEndpoint {
  readonly podId: string;
  readonly manager: PresenceManager;
  close(): Promise<void>;
}

/** The room LRU; with a bus each room joins it on creation (its persisted state merged in) and leaves on eviction. */
function createRooms(options: PodOptions): PresenceManager {
  const { bus } = options;
  const manager: PresenceManager = createPresenceManager({
    maxRooms: options.maxRooms,
    onCreate(shard) {
      if (!bus) return;
      shard.ready = bus
        .join(
          shard.roomId,
          (entries) => {
            const live = manager.peek(shard.roomId);
            if (live) applyFromBus(live, entries);
          },
          (event) => {
            const live = manager.peek(shard.roomId);
            if (live) relayToEdges(live, event);
          },
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
  return manager;
}

export function createPod(options: PodOptions): Pod {
  const { podId, bus } = options;
  const clock = options.clock ?? systemClock;
  const sessions = new Set<PodSessionState>();
  const manager = createRooms(options);

  const receive = (session: PodSessionState, frame: EdgeFrame): void => {
    if (!session.open) return;
    switch (frame.type) {
      case "attach":
        manager.get(frame.roomId).sessions.add(session);
        session.rooms.add(frame.roomId);
        return;
      case "write":
        writeFromEdge(bus, session, manager.get(frame.roomId), frame.entries);
        return;
      case "sync-request":
        sendSnapshot(manager, session, frame.roomId, frame.syncId).catch((err: unknown) =>
          options.onError?.(err, "sync"),
        );
        return;
      case "event": {
        // A room this pod does not hold has no other edges to tell; other pods may.
        const shard = manager.peek(frame.roomId);
        if (shard) relayToEdges(shard, frame.event, session);
        bus?.publishEvent(frame.roomId, frame.event);
        return;
      }
      case "detach": {
        const shard = manager.peek(frame.roomId);
        session.rooms.delete(frame.roomId);
        if (!shard) return;
        shard.sessions.delete(session);
        // The edge has no connections here any more, or moved the room to another pod
        // (split mode), where it re-asserted them. No leave: they live on.
        releaseConnections(bus, session, shard);
        manager.trim();
        return;
      }
      default:
        assertNever(frame);
    }
  };

  const touchTimer = bus
    ? clock.setInterval(() => {
        for (const shard of manager.shards()) {
          if (shard.owners.size > 0) bus.touch(shard.roomId, [...shard.owners.keys()]);
        }
      }, options.touchIntervalMs ?? TOUCH_INTERVAL_MS)
    : undefined;

  return {
    podId,
    manager,
    openSession(edgeId, send): PodSession {
      const session: PodSessionState = { edgeId, send, rooms: new Set(), open: true };
      sessions.add(session);
      return {
        receive: (frame) => receive(session, frame),
        close: () => closeSession(bus, manager, sessions, session),
      };
    },
    async close() {
      if (touchTimer !== undefined) clock.clearInterval(touchTimer);
      for (const s of [...sessions]) {
        s.open = false;
        sessions.delete(s);
      }
      await bus?.close();
    },
  };
}
