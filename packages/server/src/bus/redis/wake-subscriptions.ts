// The bus's sharded subscriptions to its rooms' wake-up channels: routes each
// wake-up ("<entry id> <origin>[ <d>]", binary, read as Buffers) to its room, and
// keeps the rooms whose SSUBSCRIBE failed (a cluster not ready yet, a master
// failing over) for the tick to retry; a room catches up once subscribed, and
// every room catches up after a re-subscribe (entries may have been missed).
import { EVENT_WAKE_ID } from "./event-wake.js";
import { roomOfWakeChannel } from "./keys.js";
import type { RedisClients } from "./redis-clients.js";
import type { RoomSync } from "./room-sync.js";

/** A wake-up's parts; undefined for a message without a space (not ours). */
export function parseWakeMessage(
  message: Buffer,
): { readonly id: string; readonly origin: string; readonly payload: Buffer | undefined } | undefined {
  const s1 = message.indexOf(0x20);
  if (s1 < 0) return undefined;
  const s2 = message.indexOf(0x20, s1 + 1);
  return {
    id: message.subarray(0, s1).toString(),
    origin: message.subarray(s1 + 1, s2 < 0 ? undefined : s2).toString(),
    payload: s2 < 0 ? undefined : message.subarray(s2 + 1),
  };
}

export interface WakeSubscriptions {
  subscribe(roomId: string): void;
  /** Retries the SSUBSCRIBEs that failed. */
  retry(): void;
  /** Best effort: a wake-up for a room we left is ignored. */
  unsubscribe(roomId: string, room: RoomSync): void;
}

/**
 * @param onEvent a relayed EVENT or PEER_LOST on a joined room's channel (event-wake.ts):
 *   its origin pod and payload, this pod's own included.
 */
export function createWakeSubscriptions(
  clients: RedisClients,
  rooms: ReadonlyMap<string, RoomSync>,
  onError: (err: unknown, context: string) => void,
  onEvent: (roomId: string, origin: string, payload: Buffer | undefined) => void = () => {},
): WakeSubscriptions {
  const unsubscribed = new Set<string>();
  clients.subscriber.on("smessageBuffer", (channel: Buffer, message: Buffer) => {
    const roomId = roomOfWakeChannel(channel.toString());
    const room = roomId === undefined ? undefined : rooms.get(roomId);
    const wake = room && parseWakeMessage(message);
    if (!room || !wake) return;
    if (wake.id === EVENT_WAKE_ID) onEvent(roomId as string, wake.origin, wake.payload);
    else room.onWake(wake.id, wake.origin, wake.payload);
  });
  clients.onResubscribed(() => {
    for (const room of rooms.values()) room.catchUp();
  });

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
  return {
    subscribe,
    retry() {
      for (const roomId of [...unsubscribed]) subscribe(roomId);
    },
    unsubscribe(roomId, room) {
      unsubscribed.delete(roomId);
      // A failed SUNSUBSCRIBE leaves a subscription whose wake-ups find no room: ignored.
      clients.subscriber.sunsubscribe(room.keys.wake).catch(() => {});
    },
  };
}
