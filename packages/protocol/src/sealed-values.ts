// The plaintext of sealed presence (docs/E2EE.md#how-a-state-is-sealed): the values of the
// sealed fields as one MsgPack array, in the order of the field list the envelope carries in
// clear. Values take the state codec's compact forms (a cursor is `[x, y]`), so sealing adds no
// bytes to the values themselves; the field names are not repeated inside.
import { packValue, unpackValue } from "./codec.js";
import { ProtocolError } from "./errors.js";
import { MAX_STATE_BYTES } from "./limits.js";
import type { PresenceData } from "./presence-types.js";
import { stateFromWire, stateToWire } from "./state-codec.js";

/** The values of `state`, in `Object.keys(state)` order. */
export function encodeSealedValues(state: PresenceData): Uint8Array {
  return packValue([...stateToWire(state).values()]);
}

/**
 * The inverse: `fields` names the values in order. Decoded as strictly as a frame
 * (PROTOCOL.md §2), so a key holder's bytes cannot smuggle what a clear value could not.
 * Throws ProtocolError (MALFORMED_MESSAGE).
 */
export function decodeSealedValues(bytes: Uint8Array, fields: readonly string[]): PresenceData {
  const values = unpackValue(bytes, MAX_STATE_BYTES);
  if (!Array.isArray(values) || values.length !== fields.length) {
    throw new ProtocolError("MALFORMED_MESSAGE", "sealed values do not match the field list");
  }
  const keys = [...stateToWire(Object.fromEntries(fields.map((f) => [f, null]))).keys()];
  if (keys.length !== fields.length) throw new ProtocolError("MALFORMED_MESSAGE", "repeated sealed field");
  return stateFromWire(new Map(keys.map((key, i) => [key, values[i]])));
}
