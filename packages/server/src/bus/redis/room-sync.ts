// One room on the Redis bus: what this pod writes (own entries, state, last-seen:
// room-writer.ts), what it reads (other pods' entries, via its consumer group:
// room-stream-read.ts, room-reader.ts, room-wake.ts, room-delivery.ts) and the
// repairs after Redis faults:
//  - a write that failed (Redis down, partition, too many in flight) marks the
//    room lost; the next touch that succeeds re-asserts every own connection with
//    a fresher version, so other pods get their current state back;
//  - a touch that finds own connections missing from the state hash (another pod
//    expired them, or Redis was flushed/restarted) re-asserts those;
//  - an `expired` leave read for an own live connection is not delivered: it is
//    re-asserted instead;
//  - NOGROUP (FLUSHALL, restart) recreates the group at 0 and reads again; the
//    touch recreates it too, once a second, even for a room nobody writes to.
// The parts share one context (room-sync-context.ts); this file composes them;
// the timing-driven transitions (join retries, lazy own reads, the slow sweep)
// are room-housekeeping.ts.
import type { BatchEntry, PeerState } from "@collabblocks/protocol";
import type { Clock } from "../../ops/clock.js";
import type { BusHandler } from "../bus.js";
import { expireCandidates } from "./expiry.js";
import { createRoomDelivery } from "./room-delivery.js";
import { maintainRoom, tickRoom } from "./room-housekeeping.js";
import { joinRoom } from "./room-join.js";
import { createRoomReader } from "./room-reader.js";
import { createStreamRead } from "./room-stream-read.js";
import {
  createRoomSyncContext,
  isJoined,
  isStopped,
  REDIS_ORIGIN,
  type RoomKeys,
  type RoomSyncConfig,
} from "./room-sync-context.js";
import { moveTo, STOPPED } from "./room-sync-phase.js";
import { createRoomWake } from "./room-wake.js";
import { createRoomWriter } from "./room-writer.js";
import type { BusRedis } from "./scripts.js";
import { createWakeLedger } from "./wake-ledger.js";

export { SWEEPER_ORIGIN } from "./expiry.js";
export { REDIS_ORIGIN, type RoomSyncConfig };

export interface RoomSyncOptions {
  readonly roomId: string;
  readonly handler: BusHandler;
  readonly redis: BusRedis;
  readonly config: RoomSyncConfig;
  /** Wall time (the append's `ts`) and timers (lazy reads, gap repairs); read times too. */
  readonly clock: Clock;
  /** Appends in flight, shared by all rooms of the process. */
  readonly inflight: { count: number };
  readonly requestFlush: (room: RoomSync) => void;
  readonly onError: (err: unknown, context: string) => void;
}

export interface RoomSync {
  readonly keys: RoomKeys;
  readonly lag: number;
  /** Creates the group and loads the persisted state ([] if Redis is unreachable: retried by tick()). */
  join(): Promise<readonly PeerState[]>;
  publish(entries: readonly BatchEntry[]): void;
  /** Sends the queued own entries as one stream entry (drops them, marking the room lost, if `connected` is false). */
  flush(connected: boolean): void;
  touch(connectionIds: readonly string[]): void;
  markLost(): void;
  /** A wake-up: entry `id` written by `origin`, with its `d` when small enough to ride along. */
  onWake(id: string, origin: string, payload: Buffer | undefined): void;
  catchUp(): void;
  /** Housekeeping tick: retries a join that failed, a read that failed, reads own entries lazily. */
  tick(ownReadMs: number): void;
  /** Slow sweep: group lag, a lost group, stale candidates, a read when none ran for `slowSweepMs`. */
  maintain(slowSweepMs: number): void;
  stop(): void;
}

export function createRoomSync(options: RoomSyncOptions): RoomSync {
  const { roomId, handler, redis, config, clock, onError } = options;
  const ctx = createRoomSyncContext({ roomId, handler, redis, config, clock, onError });
  const ledger = createWakeLedger();
  const expire = (candidates: readonly Buffer[]): void => expireCandidates(ctx, candidates);
  const writer = createRoomWriter(ctx, {
    inflight: options.inflight,
    requestFlush: () => options.requestFlush(room),
    onGroupCreated: () => reader.wake(),
    expire,
  });
  const delivery = createRoomDelivery(ctx, (cids) => writer.reassert(cids));
  const reader = createRoomReader({
    read: createStreamRead(ctx, ledger, delivery.deliver),
    onError: (err) => ctx.onError(err, `read ${ctx.keys.stream}`),
    now: () => clock.now(),
  });
  const wake = createRoomWake(ctx, { reader, delivery, ledger });
  const join = () => joinRoom(ctx, () => reader.catchUp());
  let lag = 0;

  const room: RoomSync = {
    keys: ctx.keys,
    get lag() {
      return lag;
    },
    join,
    publish: writer.publish,
    flush: writer.flush,
    touch: writer.touch,
    markLost() {
      ctx.lost = true;
    },
    onWake: wake.onWake,
    catchUp() {
      if (isJoined(ctx)) reader.catchUp();
    },
    tick: (ownReadMs) => tickRoom(ctx, { reader, join }, ownReadMs),
    maintain(slowSweepMs) {
      maintainRoom(ctx, { reader, expire, setLag: (n) => (lag = n) }, slowSweepMs);
    },
    stop() {
      if (isStopped(ctx)) return;
      ctx.phase = moveTo(ctx.phase, STOPPED);
      reader.stop();
      delivery.stop();
      wake.stop();
    },
  };
  return room;
}
