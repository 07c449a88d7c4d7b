// Broadcast events and lost-peer notices over Redis (PROTOCOL.md §9, bus.ts rule 5): one rides the
// room's sharded wake-up channel as "E <origin> <EVENT frame>" and nothing else —
// no stream entry, so it is never stored, never read back by a catch-up and never
// replayed to a pod that joins later. "E" cannot be a stream id ("<ms>-<seq>"), so
// the wake-up handler tells the two apart by the first word. A pod that is not
// subscribed at that moment (Redis down, reconnecting) misses the event: events are
// fire-and-forget.
import { decodeServerMessage, encode, MessageType, type RelayedMessage } from "@collabblocks/protocol";

/** The first word of an event message on a wake-up channel. */
export const EVENT_WAKE_ID = "E";

export function eventWakeMessage(origin: string, event: RelayedMessage): Buffer {
  return Buffer.concat([Buffer.from(`${EVENT_WAKE_ID} ${origin} `), encode(event)]);
}

/** The message in a wake-up payload; undefined (dropped) when it is not a valid EVENT or PEER_LOST frame. */
export function eventOfWake(payload: Buffer | undefined): RelayedMessage | undefined {
  if (payload === undefined) return undefined;
  try {
    const msg = decodeServerMessage(payload);
    return msg.type === MessageType.EVENT || msg.type === MessageType.PEER_LOST ? msg : undefined;
  } catch {
    return undefined; // another writer's garbage on our channel: not an event, nothing to relay
  }
}
