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
import type { BatchEntry, PeerState, RelayedMessage } from "@collabblocks/protocol";
import type { BusHandler, PresenceBus } from "../bus.js";
import { EVENT_WAKE_ID, eventOfWake, eventWakeMessage } from "./event-wake.js";
import { roomOfWakeChannel, wakeChannel } from "./keys.js";
import type { RedisClients } from "./redis-clients.js";
import { createRoomSync, type RoomSync, type RoomSyncConfig } from "./room-sync.js";
import { defineBusScripts } from "./scripts.js";

/** Defaults of docs/SCALING.md#pod-and-redis-the-rules, each overridable for tests. */
export const REDIS_BUS_DEFAULTS = {
  /** Last-seen older than this is expired by a sweeper, ms. */
  expiryMs: 3000,
  /** Housekeeping tick: join retries, failed reads, own-entry reads, ms. */
  tickMs: 1000,
  /** Slow sweep of every room (lost wake-ups, group GC, lag, idle-room expiry), ms. */
  slowSweepMs: 5000,
  /** A new group starts this far back, so entries newer than the state flush replay, ms. */
  joinLookbackMs: 3000,
  /** `XADD … MAXLEN ~ streamMaxLen`. */
  streamMaxLen: 1000,
  /** Room keys expire after this long without a write or touch, ms. */
  keyTtlMs: 10 * 60_000,
  /** A group whose consumers were all idle this long belongs to a gone pod, ms. */
  groupGcIdleMs: 60_000,
  /** Own-entry-only wake-ups are read lazily, at most this often per room, ms. */
  ownReadMs: 1000,
  /** Appends in flight per process beyond which a flush is dropped (and re-seeded later). */
  maxInflight: 1000,
  /** A flush up to this size (bytes of `d`) rides in its wake-up and is applied on arrival. */
  inlineWakeBytes: 8192,
  /** After entries were applied from wake-ups, the stream is read (and acknowledged) this much later, ms. */
  lazyReadMs: 250,
} as const;

export interface RedisBusOptions extends Partial<Omit<RoomSyncConfig, "podId">> {
  readonly podId: string;
  readonly clients: RedisClients;
  readonly tickMs?: number;
  readonly slowSweepMs?: number;
  readonly onError?: (err: unknown, context: string) => void;
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

export function createRedisBus(options: RedisBusOptions): RedisBus {
  const { podId, clients } = options;
  const redis = defineBusScripts(clients.commands);
  const config: RoomSyncConfig = {
    podId,
    expiryMs: options.expiryMs ?? REDIS_BUS_DEFAULTS.expiryMs,
    joinLookbackMs: options.joinLookbackMs ?? REDIS_BUS_DEFAULTS.joinLookbackMs,
    streamMaxLen: options.streamMaxLen ?? REDIS_BUS_DEFAULTS.streamMaxLen,
    keyTtlMs: options.keyTtlMs ?? REDIS_BUS_DEFAULTS.keyTtlMs,
    groupGcIdleMs: options.groupGcIdleMs ?? REDIS_BUS_DEFAULTS.groupGcIdleMs,
    maxInflight: options.maxInflight ?? REDIS_BUS_DEFAULTS.maxInflight,
    inlineWakeBytes: options.inlineWakeBytes ?? REDIS_BUS_DEFAULTS.inlineWakeBytes,
    lazyReadMs: options.lazyReadMs ?? REDIS_BUS_DEFAULTS.lazyReadMs,
  };
  const onError = options.onError ?? (() => {});
  const rooms = new Map<string, RoomSync>();
  /** Where each joined room's broadcast events go (bus.ts rule 5). */
  const events = new Map<string, (event: RelayedMessage) => void>();
  const inflight = { count: 0 };
  let closed = false;

  // Own appends of every room flush together once per event-loop turn: one stream
  // entry per room per turn ("a batch of one flush"), sent in one pipelined write.
  const dirty = new Set<RoomSync>();
  let flushScheduled = false;
  const flush = (): void => {
    flushScheduled = false;
    for (const room of dirty) room.flush(clients.connected);
    dirty.clear();
  };
  const scheduleFlush = (room: RoomSync): void => {
    dirty.add(room);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  };

  const newRoom = (roomId: string, handler: BusHandler): RoomSync =>
    createRoomSync({
      roomId,
      handler,
      redis,
      config,
      inflight,
      requestFlush: (room) => scheduleFlush(room),
      onError,
    });

  // Wake-ups are "<entry id> <origin>[ <d>]" (binary: read as Buffers).
  clients.subscriber.on("smessageBuffer", (channel: Buffer, message: Buffer) => {
    const roomId = roomOfWakeChannel(channel.toString());
    const room = roomId === undefined ? undefined : rooms.get(roomId);
    if (!room) return;
    const s1 = message.indexOf(0x20);
    if (s1 < 0) return;
    const s2 = message.indexOf(0x20, s1 + 1);
    const id = message.subarray(0, s1).toString();
    const origin = message.subarray(s1 + 1, s2 < 0 ? undefined : s2).toString();
    const payload = s2 < 0 ? undefined : message.subarray(s2 + 1);
    if (id !== EVENT_WAKE_ID) room.onWake(id, origin, payload);
    else if (origin !== podId) {
      const event = eventOfWake(payload);
      if (event !== undefined) events.get(roomId!)?.(event);
    }
  });
  clients.onResubscribed(() => {
    for (const room of rooms.values()) room.catchUp();
  });

  // An SSUBSCRIBE can fail (a cluster not ready yet, a master failing over); the
  // tick retries it, and the room catches up once subscribed.
  const unsubscribed = new Set<string>();
  const subscribe = (roomId: string): void => {
    const room = rooms.get(roomId);
    if (!room) return;
    unsubscribed.delete(roomId);
    clients.subscriber.ssubscribe(room.keys.wake).then(
      () => {
        if (rooms.get(roomId) === room) room.catchUp();
      },
      (err: unknown) => {
        if (rooms.get(roomId) !== room) return;
        unsubscribed.add(roomId);
        onError(err, `ssubscribe ${room.keys.wake}`);
      },
    );
  };

  const ownReadMs = REDIS_BUS_DEFAULTS.ownReadMs;
  const tick = setInterval(() => {
    if (!clients.connected) return;
    for (const roomId of [...unsubscribed]) subscribe(roomId);
    for (const room of rooms.values()) room.tick(ownReadMs);
  }, options.tickMs ?? REDIS_BUS_DEFAULTS.tickMs);
  tick.unref();
  const slow = setInterval(() => {
    if (!clients.connected) return;
    for (const room of rooms.values()) room.maintain(options.slowSweepMs ?? REDIS_BUS_DEFAULTS.slowSweepMs);
  }, options.slowSweepMs ?? REDIS_BUS_DEFAULTS.slowSweepMs);
  slow.unref();

  return {
    podId,
    async join(roomId, handler, onEvent): Promise<readonly PeerState[]> {
      const existing = rooms.get(roomId);
      if (existing) existing.stop();
      if (onEvent) events.set(roomId, onEvent);
      else events.delete(roomId);
      const room = newRoom(roomId, handler);
      rooms.set(roomId, room);
      subscribe(roomId);
      return room.join();
    },
    leave(roomId) {
      const room = rooms.get(roomId);
      if (!room) return;
      rooms.delete(roomId);
      events.delete(roomId);
      unsubscribed.delete(roomId);
      room.stop();
      dirty.delete(room);
      // Best effort: a wake-up for a room we left is ignored, and a group left behind is
      // destroyed by the maintenance sweep once idle (groupGcIdleMs).
      clients.subscriber.sunsubscribe(room.keys.wake).catch(() => {});
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
    async whenConnected(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!clients.connected) {
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 50));
      }
      return true;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(tick);
      clearInterval(slow);
      if (flushScheduled) flush();
      const destroys: Promise<unknown>[] = [];
      for (const room of rooms.values()) {
        room.stop();
        // A graceful exit removes its groups (best effort: the sweeper destroys groups of
        // gone pods); its connections are not removed (no leave on a server-initiated
        // close): they reconnect elsewhere or expire.
        if (clients.connected)
          destroys.push(redis.xgroup("DESTROY", room.keys.stream, podId).catch(() => {}));
      }
      rooms.clear();
      await Promise.all(destroys);
      await clients.close();
    },
  };
}
