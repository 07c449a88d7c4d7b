// The edge's rooms by id (docs/ARCHITECTURE.md#the-edge): created on the first
// join, closed and forgotten when the room says it is idle. Fan-out and the
// room's replica live in edge-room.ts and its parts; this is only the map and its walks.
import type { Connection } from "./connection.js";
import { DEFAULT_TICK_MS } from "./edge-defaults.js";
import type { EdgeOptions } from "./edge-options.js";
import { createEdgeRoom, type EdgeRoom } from "./edge-room.js";
import { createKnownConnections } from "./known-connections.js";
import { relayEvent } from "./room-events.js";

export interface EdgeRooms {
  /** The room, created (and loading from the pod) when absent. */
  get(roomId: string): EdgeRoom<Connection>;
  find(roomId: string): EdgeRoom<Connection> | undefined;
  readonly size: number;
  values(): IterableIterator<EdgeRoom<Connection>>;
  /** Every local connection of every room. */
  members(): Generator<Connection>;
  /** Entries waiting in every room's queues. */
  backlog(): number;
  /** Closes and forgets every room. */
  closeAll(): void;
}

type RoomDeps = Pick<
  EdgeOptions,
  "link" | "metrics" | "logger" | "tickMs" | "flushCpuShare" | "largeRoomThreshold" | "timers" | "clock"
> & { readonly monotonicNow: () => number; readonly contended?: () => boolean };

/** @param onReplaced a remote connection took over a local connection's id. */
export function createEdgeRooms(deps: RoomDeps, onReplaced: (member: Connection) => void): EdgeRooms {
  const rooms = new Map<string, EdgeRoom<Connection>>();
  const known = createKnownConnections();
  return {
    get(roomId) {
      let room = rooms.get(roomId);
      if (room) return room;
      room = createEdgeRoom<Connection>({
        roomId,
        link: deps.link,
        stats: deps.metrics.stats,
        known,
        tickMs: deps.tickMs ?? DEFAULT_TICK_MS,
        cpuShare: deps.flushCpuShare,
        contended: deps.contended,
        largeRoomThreshold: deps.largeRoomThreshold,
        now: deps.monotonicNow,
        timers: deps.timers,
        clock: deps.clock,
        onReplaced,
        onIdle: (r) => {
          if (rooms.get(r.roomId) === r) rooms.delete(r.roomId);
          r.close();
        },
        onError: (err, context) => deps.logger.error({ err, context }, "room error"),
        onEvent: (id, event) => {
          const r = rooms.get(id);
          if (r) relayEvent(r, event, deps.metrics.stats);
        },
      });
      rooms.set(roomId, room);
      return room;
    },
    find: (roomId) => rooms.get(roomId),
    get size() {
      return rooms.size;
    },
    values: () => rooms.values(),
    *members() {
      for (const room of rooms.values()) yield* room.members.values();
    },
    backlog() {
      let n = 0;
      for (const room of rooms.values()) n += room.backlog();
      return n;
    },
    closeAll() {
      for (const room of rooms.values()) room.close();
      rooms.clear();
    },
  };
}
