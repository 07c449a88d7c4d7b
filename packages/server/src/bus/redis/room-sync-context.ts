// What the parts of one room on the Redis bus share (room-sync.ts composes them):
// the room's keys and Redis, its own connections and the versions it knows, and
// where the room is in its life. One object instead of one closure, so each part
// (room-outbox.ts, room-writer.ts, room-delivery.ts, room-stream-read.ts,
// room-join.ts, room-wake.ts) is a small function over it
// (CONTRIBUTING.md "Habits" 10: a factory that outgrows its closure).
import type { Clock } from "../../ops/clock.js";
import type { BusHandler } from "../bus.js";
import { seenKey, stateKey, streamKey, wakeChannel } from "./keys.js";
import { createOwnConnections, type OwnConnections } from "./own-connections.js";
import { type RoomSyncPhase, UNJOINED } from "./room-sync-phase.js";
import type { BusRedis } from "./scripts.js";
import { createVersionTracker, type VersionTracker } from "./version-tracker.js";

/** Origin reported for state loaded from the hash after a late join (or a gap repair). */
export const REDIS_ORIGIN = "redis";

export interface RoomSyncConfig {
  readonly podId: string;
  readonly expiryMs: number;
  readonly joinLookbackMs: number;
  readonly streamMaxLen: number;
  readonly keyTtlMs: number;
  readonly groupGcIdleMs: number;
  readonly maxInflight: number;
  readonly inlineWakeBytes: number;
  readonly lazyReadMs: number;
}

export interface RoomKeys {
  readonly stream: string;
  readonly state: string;
  readonly seen: string;
  readonly wake: string;
}

export interface RoomSyncContext {
  readonly roomId: string;
  readonly keys: RoomKeys;
  readonly handler: BusHandler;
  readonly redis: BusRedis;
  readonly config: RoomSyncConfig;
  readonly clock: Clock;
  readonly onError: (err: unknown, context: string) => void;
  readonly own: OwnConnections;
  readonly versions: VersionTracker;
  /** Where the room is in its life (room-sync-phase.ts: the states and their transitions). */
  phase: RoomSyncPhase;
  /** A write failed: re-assert own connections at the next good touch (any phase). */
  lost: boolean;
}

export interface RoomSyncContextOptions {
  readonly roomId: string;
  readonly handler: BusHandler;
  readonly redis: BusRedis;
  readonly config: RoomSyncConfig;
  readonly clock: Clock;
  readonly onError: (err: unknown, context: string) => void;
}

export function roomKeys(roomId: string): RoomKeys {
  return {
    stream: streamKey(roomId),
    state: stateKey(roomId),
    seen: seenKey(roomId),
    wake: wakeChannel(roomId),
  };
}

export function createRoomSyncContext(options: RoomSyncContextOptions): RoomSyncContext {
  return {
    ...options,
    keys: roomKeys(options.roomId),
    own: createOwnConnections(),
    versions: createVersionTracker(),
    phase: UNJOINED,
    lost: false,
  };
}

export const isStopped = (ctx: RoomSyncContext): boolean => ctx.phase.kind === "stopped";
export const isJoined = (ctx: RoomSyncContext): boolean => ctx.phase.kind === "joined";

/** KEYS and first ARGV of the scripts that write the stream (APPEND, EXPIRE in scripts.ts): stream, wake, state, seen; maxlen, ttl ms. */
export function streamWriteHead(ctx: Pick<RoomSyncContext, "keys" | "config">): (string | number)[] {
  const { keys, config } = ctx;
  return [keys.stream, keys.wake, keys.state, keys.seen, config.streamMaxLen, config.keyTtlMs];
}
