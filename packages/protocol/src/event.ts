// Broadcast events (PROTOCOL.md §9): the one rule an event must meet before it is
// sent or relayed — a JSON-like value (as presence values are) of at most
// MAX_EVENT_BYTES encoded. Both ends call it: the SDK refuses locally what the
// server would refuse.
import { ProtocolError } from "./errors.js";
import type { Json } from "./json.js";
import { MAX_EVENT_BYTES } from "./limits.js";
import { msgpack } from "./msgpack.js";
import { assertJson } from "./validate.js";

/** Throws ProtocolError("INVALID_EVENT") unless `event` is JSON-like and small enough; returns it typed. */
export function validateEvent(event: unknown): Json {
  try {
    assertJson(event, "event");
  } catch (err) {
    throw new ProtocolError("INVALID_EVENT", (err as Error).message);
  }
  const size = msgpack().packedSize(event);
  if (size > MAX_EVENT_BYTES) {
    throw new ProtocolError(
      "INVALID_EVENT",
      `event is ${size} bytes encoded; the limit is ${MAX_EVENT_BYTES}`,
    );
  }
  return event;
}
