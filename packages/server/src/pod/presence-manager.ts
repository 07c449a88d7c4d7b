// PresenceManager (docs/SCALING.md#pod-and-redis-the-rules): Map<roomId, PresenceShard> behind an LRU. Rooms
// with live connections or attached edges are never evicted, so the map may
// exceed `maxRooms` when that many rooms are live; evictions are counted for
// `presence_lru_evictions_total`. An evicted room is rebuilt on next use (from
// the bus's persisted state when there is a bus).
import { createPresenceShard, isShardLive, type PresenceShard } from "./presence-shard.js";

/** Default rooms kept in memory (`--max-rooms`). */
export const DEFAULT_MAX_ROOMS = 1000;

export interface PresenceManagerOptions {
  readonly maxRooms?: number;
  /** Called for every new shard (e.g. to join the bus and load state). */
  readonly onCreate?: (shard: PresenceShard) => void;
  /** Called after a shard is evicted (e.g. to leave the bus). */
  readonly onEvict?: (shard: PresenceShard) => void;
}

export interface PresenceManager {
  /** The room's shard, created if needed; marks it most recently used. */
  get(roomId: string): PresenceShard;
  /** The shard if in memory, without touching the LRU order. */
  peek(roomId: string): PresenceShard | undefined;
  shards(): IterableIterator<PresenceShard>;
  readonly size: number;
  /** Rooms evicted since start. */
  readonly evictions: number;
  /** Evicts idle rooms beyond maxRooms (also done on every creation). */
  trim(): void;
}

export function createPresenceManager(options: PresenceManagerOptions = {}): PresenceManager {
  const maxRooms = options.maxRooms ?? DEFAULT_MAX_ROOMS;
  if (!Number.isInteger(maxRooms) || maxRooms < 1) throw new RangeError("maxRooms must be an integer ≥ 1");
  // Map iteration order is insertion order: delete + set moves a room to the back (newest).
  const shards = new Map<string, PresenceShard>();
  let evictions = 0;

  /** `keep` is a shard just handed out by get(): its caller has not made it live yet. */
  const trim = (keep?: PresenceShard): void => {
    if (shards.size <= maxRooms) return;
    for (const shard of shards.values()) {
      if (shards.size <= maxRooms) break;
      if (shard === keep || isShardLive(shard)) continue;
      shards.delete(shard.roomId);
      evictions++;
      options.onEvict?.(shard);
    }
  };

  return {
    get(roomId) {
      let shard = shards.get(roomId);
      if (shard) {
        shards.delete(roomId);
        shards.set(roomId, shard);
        return shard;
      }
      shard = createPresenceShard(roomId);
      shards.set(roomId, shard);
      options.onCreate?.(shard);
      trim(shard);
      return shard;
    },
    peek: (roomId) => shards.get(roomId),
    shards: () => shards.values(),
    get size() {
      return shards.size;
    },
    get evictions() {
      return evictions;
    },
    trim: () => trim(),
  };
}
