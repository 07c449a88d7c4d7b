// The Redis bus (docs/SCALING.md#pod-and-redis-the-rules): the PresenceBus of scaled mode. Per room it keeps
//  - a stream `presence-{room}` (one entry per flush, `MAXLEN ~ 1000`), appended
//    together with a sharded wake-up `SPUBLISH presence-{room}:wake` by one script;
//    the wake-up carries the entry itself when it is small (≤ 8 KB), so other pods
//    apply it on arrival without a read round trip (see wake-ledger.ts);
//  - one consumer group per pod (group = consumer = pod id), read with
//    non-blocking XREADGROUP — at once for a wake-up without payload, 250 ms after
//    one with — and acknowledged after applying: at-least-once, whatever pub/sub lost;
//  - a state hash (written on enter, flushed with the once-a-second touch) and a
//    last-seen set (Redis TIME), swept by every pod that touches the room.
// Nothing on the local path waits for Redis: publish() only queues, and whatever a
// Redis fault loses is re-seeded when it answers again (see room-sync.ts).
// Parts: the defaults (redis-bus-config.ts), the wake-up subscriptions
// (wake-subscriptions.ts), the per-turn flush (turn-flush.ts), one RoomSync per
// room (room-sync.ts); timers come from the injected clock (CONTRIBUTING.md "Time").
import type { BatchEntry, PeerState, RelayedMessage } from "@collabblocks/protocol";
import { type Clock, systemClock } from "../../ops/clock.js";
import type { BusHandler, PresenceBus } from "../bus.js";
import { eventOfWake, eventWakeMessage } from "./event-wake.js";
import { wakeChannel } from "./keys.js";
import { REDIS_BUS_DEFAULTS, roomSyncConfig } from "./redis-bus-config.js";
import type { RedisClients } from "./redis-clients.js";
import { createRoomSync, type RoomSync, type RoomSyncConfig } from "./room-sync.js";
import { type BusRedis, defineBusScripts } from "./scripts.js";
import { createTurnFlush } from "./turn-flush.js";
import { createWakeSubscriptions } from "./wake-subscriptions.js";

export { REDIS_BUS_DEFAULTS };

export interface RedisBusOptions extends Partial<Omit<RoomSyncConfig, "podId">> {
  readonly podId: string;
  readonly clients: RedisClients;
  readonly tickMs?: number;
  readonly slowSweepMs?: number;
  readonly onError?: (err: unknown, context: string) => void;
  /** Wall time and timers (ticks, sweeps, lazy reads, gap repairs); default the system clock. */
  readonly clock?: Clock;
}

export interface RedisBus extends PresenceBus {
  /** Largest consumer-group lag among this pod's groups (from the last slow sweep). */
  lag(): number;
  /** True when commands can currently reach Redis. */
  readonly connected: boolean;
  /** Rooms joined. */
  readonly rooms: number;
  /** Resolves true once connected, false after `timeoutMs`. */
  whenConnected(timeoutMs: number): Promise<boolean>;
}

/** Resolves true once `connected()`, false after `timeoutMs` (looked at every connectPollMs). */
async function waitConnected(clock: Clock, connected: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = clock.now() + timeoutMs;
  while (!connected()) {
    if (clock.now() > deadline) return false;
    await new Promise<void>((r) => clock.setTimeout(r, REDIS_BUS_DEFAULTS.connectPollMs));
  }
  return true;
}

/** Stops every room; a graceful exit removes its groups (best effort: the sweeper destroys groups of gone pods). */
async function closeRooms(
  rooms: Map<string, RoomSync>,
  redis: BusRedis,
  podId: string,
  connected: boolean,
): Promise<void> {
  const destroys: Promise<unknown>[] = [];
  for (const room of rooms.values()) {
    room.stop();
    // Its connections are not removed (no leave on a server-initiated close): they
    // reconnect elsewhere or expire.
    if (connected) destroys.push(redis.xgroup("DESTROY", room.keys.stream, podId).catch(() => {}));
  }
  rooms.clear();
  await Promise.all(destroys);
}

export function createRedisBus(options: RedisBusOptions): RedisBus {
  const { podId, clients } = options;
  const clock = options.clock ?? systemClock;
  const redis = defineBusScripts(clients.commands);
  const config = roomSyncConfig(podId, options);
  const onError = options.onError ?? (() => {});
  const rooms = new Map<string, RoomSync>();
  const inflight = { count: 0 };
  const turn = createTurnFlush<RoomSync>((room) => room.flush(clients.connected));
  /** Where each joined room's EVENT and PEER_LOST go (bus.ts rule 5). */
  const events = new Map<string, (event: RelayedMessage) => void>();
  const subscriptions = createWakeSubscriptions(clients, rooms, onError, (roomId, origin, payload) => {
    const event = origin === podId ? undefined : eventOfWake(payload);
    if (event !== undefined) events.get(roomId)?.(event);
  });
  let closed = false;

  const newRoom = (roomId: string, handler: BusHandler): RoomSync =>
    createRoomSync({ roomId, handler, redis, config, clock, inflight, requestFlush: turn.request, onError });

  const slowSweepMs = options.slowSweepMs ?? REDIS_BUS_DEFAULTS.slowSweepMs;
  const tick = clock.setInterval(() => {
    if (!clients.connected) return;
    subscriptions.retry();
    for (const room of rooms.values()) room.tick(REDIS_BUS_DEFAULTS.ownReadMs);
  }, options.tickMs ?? REDIS_BUS_DEFAULTS.tickMs);
  const slow = clock.setInterval(() => {
    if (!clients.connected) return;
    for (const room of rooms.values()) room.maintain(slowSweepMs);
  }, slowSweepMs);

  return {
    podId,
    async join(roomId, handler, onEvent): Promise<readonly PeerState[]> {
      rooms.get(roomId)?.stop();
      if (onEvent) events.set(roomId, onEvent);
      else events.delete(roomId);
      const room = newRoom(roomId, handler);
      rooms.set(roomId, room);
      subscriptions.subscribe(roomId);
      return room.join();
    },
    leave(roomId) {
      const room = rooms.get(roomId);
      if (!room) return;
      rooms.delete(roomId);
      events.delete(roomId);
      room.stop();
      turn.drop(room);
      // Best effort: a group left behind is destroyed by the maintenance sweep once idle (groupGcIdleMs).
      subscriptions.unsubscribe(roomId, room);
      redis.xgroup("DESTROY", room.keys.stream, podId).catch(() => {});
    },
    publish(roomId, entries: readonly BatchEntry[]) {
      rooms.get(roomId)?.publish(entries);
    },
    publishEvent(roomId, event) {
      if (closed || !clients.connected || !rooms.has(roomId)) return; // live only: a down bus drops it
      clients.commands
        .spublish(wakeChannel(roomId), eventWakeMessage(podId, event))
        .catch((err: unknown) => onError(err, `spublish event ${roomId}`));
    },
    touch(roomId, connectionIds) {
      if (clients.connected) rooms.get(roomId)?.touch(connectionIds);
      else rooms.get(roomId)?.markLost();
    },
    lag() {
      let max = 0;
      for (const room of rooms.values()) max = Math.max(max, room.lag);
      return max;
    },
    get connected() {
      return clients.connected;
    },
    get rooms() {
      return rooms.size;
    },
    whenConnected: (timeoutMs) => waitConnected(clock, () => clients.connected, timeoutMs),
    async close() {
      if (closed) return;
      closed = true;
      clock.clearInterval(tick);
      clock.clearInterval(slow);
      turn.flushNow();
      await closeRooms(rooms, redis, podId, clients.connected);
      await clients.close();
    },
  };
}
