// An in-memory bus hub: every pod of a test (or of one process) connects to the
// same hub, which keeps each room's persisted state and last-seen times exactly
// as the Redis bus will keep them in Redis. Delivery is asynchronous (a
// microtask) and in order, like a real transport; nothing is lost.
import {
  type BatchEntry,
  type PeerState,
  PresenceReplica,
  type RelayedMessage,
} from "@collabblocks/protocol";
import { type Clock, systemClock } from "../ops/clock.js";
import { type BusHandler, type PresenceBus, SWEEPER_ORIGIN } from "./bus.js";

/** Connections not refreshed for this long are expired by the sweeper, ms (docs/SCALING.md#pod-and-redis-the-rules). */
export const DEFAULT_LAST_SEEN_EXPIRY_MS = 3000;
/** Sweeper period, ms ("at least once a second"). */
export const DEFAULT_SWEEP_INTERVAL_MS = 1000;

export interface MemoryBusOptions {
  /** Wall time of last-seen and the sweeper's timer; default the system clock. */
  readonly clock?: Clock;
  /** Wall clock, ms (default the clock's). */
  readonly now?: () => number;
  readonly expiryMs?: number;
  /** Sweeper period, ms; 0 = no automatic sweeps (call sweep() yourself). */
  readonly sweepIntervalMs?: number;
}

export interface MemoryBusHub {
  /** A bus for one pod. */
  connect(podId: string): PresenceBus;
  /** Expires connections whose last-seen is older than the expiry; returns how many. */
  sweep(): number;
  /** The persisted state of a room (for tests). */
  state(roomId: string): readonly PeerState[];
  close(): void;
}

interface HubRoom {
  readonly replica: PresenceReplica;
  readonly seen: Map<string, number>;
  readonly members: Map<string, BusHandler>;
  /** Per pod: where the room's EVENT and PEER_LOST go (bus.ts rule 5). */
  readonly events: Map<string, (event: RelayedMessage) => void>;
}

/** Expires, in every room, connections last seen before `cutoff`; returns their leaves per room. */
function expireStale(rooms: Iterable<HubRoom>, cutoff: number): Map<HubRoom, BatchEntry[]> {
  const out = new Map<HubRoom, BatchEntry[]>();
  for (const r of rooms) {
    const leaves: BatchEntry[] = [];
    for (const [cid, at] of r.seen) {
      if (at >= cutoff) continue;
      r.seen.delete(cid);
      const peer = r.replica.get(cid);
      if (!peer) continue;
      const leave: BatchEntry = {
        kind: "leave",
        connectionId: cid,
        epoch: peer.epoch,
        clock: peer.clock,
        reason: "expired",
      };
      r.replica.apply(leave);
      leaves.push(leave);
    }
    if (leaves.length > 0) out.set(r, leaves);
  }
  return out;
}

/** Delivers asynchronously to every other member still joined when the microtask runs. */
function deliver(r: HubRoom, entries: readonly BatchEntry[], origin: string): void {
  for (const [podId, handler] of r.members) {
    if (podId === origin) continue;
    queueMicrotask(() => {
      // Still a member when the microtask runs (leave() stops delivery at once).
      if (r.members.get(podId) === handler) handler(entries, origin);
    });
  }
}

/** Live only (bus.ts rule 5): the pods joined now get it; nothing keeps it. */
function relayEvent(r: HubRoom, event: RelayedMessage, origin: string): void {
  for (const [podId, onEvent] of r.events) {
    if (podId === origin) continue;
    queueMicrotask(() => {
      if (r.events.get(podId) === onEvent) onEvent(event);
    });
  }
}

/** One pod's bus on the hub. */
function connectPod(
  podId: string,
  room: (roomId: string) => HubRoom,
  rooms: Map<string, HubRoom>,
  now: () => number,
): PresenceBus {
  const joined = new Set<string>();
  return {
    podId,
    async join(roomId, handler, onEvent) {
      const r = room(roomId);
      r.members.set(podId, handler);
      if (onEvent) r.events.set(podId, onEvent);
      else r.events.delete(podId);
      joined.add(roomId);
      return r.replica.snapshot();
    },
    leave(roomId) {
      rooms.get(roomId)?.members.delete(podId);
      rooms.get(roomId)?.events.delete(podId);
      joined.delete(roomId);
    },
    publish(roomId, entries) {
      const r = room(roomId);
      const t = now();
      for (const e of entries) {
        r.replica.apply(e);
        if (e.kind === "leave") r.seen.delete(e.connectionId);
        else r.seen.set(e.connectionId, t);
      }
      deliver(r, entries, podId);
    },
    publishEvent(roomId, event) {
      const r = rooms.get(roomId);
      if (r) relayEvent(r, event, podId);
    },
    touch(roomId, connectionIds) {
      const r = rooms.get(roomId);
      if (!r) return;
      const t = now();
      for (const cid of connectionIds) if (r.replica.get(cid)) r.seen.set(cid, t);
    },
    async close() {
      for (const roomId of joined) {
        rooms.get(roomId)?.members.delete(podId);
        rooms.get(roomId)?.events.delete(podId);
      }
      joined.clear();
    },
  };
}

export function createMemoryBus(options: MemoryBusOptions = {}): MemoryBusHub {
  const clock = options.clock ?? systemClock;
  const now = options.now ?? (() => clock.now());
  const expiryMs = options.expiryMs ?? DEFAULT_LAST_SEEN_EXPIRY_MS;
  const rooms = new Map<string, HubRoom>();

  const room = (roomId: string): HubRoom => {
    let r = rooms.get(roomId);
    if (!r) {
      r = { replica: new PresenceReplica(), seen: new Map(), members: new Map(), events: new Map() };
      rooms.set(roomId, r);
    }
    return r;
  };

  const sweep = (): number => {
    let expired = 0;
    for (const [r, leaves] of expireStale(rooms.values(), now() - expiryMs)) {
      expired += leaves.length;
      deliver(r, leaves, SWEEPER_ORIGIN);
    }
    return expired;
  };

  const sweepMs = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
  const timer = sweepMs > 0 ? clock.setInterval(sweep, sweepMs) : undefined;

  return {
    connect: (podId) => connectPod(podId, room, rooms, now),
    sweep,
    state(roomId) {
      return rooms.get(roomId)?.replica.snapshot() ?? [];
    },
    close() {
      if (timer !== undefined) clock.clearInterval(timer);
    },
  };
}
