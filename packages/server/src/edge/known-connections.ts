// Who held a connectionId in a room, and its last epoch — remembered after the
// connection (and even the room) is gone, so that a connectionId stays bound to
// its user and a reconnect never reuses an epoch (PROTOCOL.md §5). Bounded LRU: an
// entry only matters while a client might still come back with that id.

/** Entries kept per edge (~150 bytes each). */
export const MAX_KNOWN_CONNECTIONS = 50_000;
/**
 * How long a Durable Object room keeps an entry after its connection was last
 * live, ms (docs/EDGE-WORKERS.md#hibernation): a room object has no process-wide
 * count to bound by, so it bounds by age. A day covers a laptop closed overnight
 * coming back with its connectionId; the Node edge's LRU of MAX_KNOWN_CONNECTIONS
 * lasts about as long at 0.6 new connections a second per edge.
 */
export const KNOWN_CONNECTION_RETENTION_MS = 24 * 60 * 60 * 1000;

export interface KnownConnection {
  readonly userId: string;
  readonly epoch: number;
}

export interface KnownConnections {
  get(roomId: string, connectionId: string): KnownConnection | undefined;
  remember(roomId: string, connectionId: string, userId: string, epoch: number): void;
  readonly size: number;
}

export function createKnownConnections(max = MAX_KNOWN_CONNECTIONS): KnownConnections {
  const map = new Map<string, KnownConnection>();
  return {
    get: (roomId, cid) => map.get(`${roomId}\n${cid}`),
    remember(roomId, cid, userId, epoch) {
      const key = `${roomId}\n${cid}`;
      const old = map.get(key);
      if (old && old.userId === userId && old.epoch >= epoch) return;
      map.delete(key);
      map.set(key, { userId, epoch: Math.max(epoch, old?.userId === userId ? old.epoch : 0) });
      if (map.size > max) map.delete(map.keys().next().value as string);
    },
    get size() {
      return map.size;
    },
  };
}
