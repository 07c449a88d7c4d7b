// Sealed presence (PROTOCOL.md §2 "Presence values", docs/E2EE.md): the one presence key an
// end-to-end encrypting SDK writes its ciphertext under. The server treats it as opaque bytes:
// it checks only that the value is bytes and counts them against the state limit (§6).
//
// In memory (server and SDK alike) the bytes are a "byte string": one character per byte,
// codes 0–255. That keeps PresenceData a map of JSON values, so validation, patches, the
// replica, Redis and gRPC carry it unchanged; the state codec (state-codec.ts) writes it as
// MsgPack `bin` under field index 4, so it costs one byte per byte on the wire (base64 text
// would cost 4/3, which the 40-byte overhead budget of docs/E2EE.md#limits cannot afford).

/** The presence key of the sealed part of a state. */
export const SEALED_KEY = "~";
/** Its field index on the wire (PROTOCOL.md §2). */
export const SEALED_FIELD_INDEX = 4;

/** True for a string whose every character is a byte (code ≤ 255). */
export function isByteString(value: unknown): value is string {
  if (typeof value !== "string") return false;
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0xff) return false;
  return true;
}

/** Bytes → byte string (a loop, not fromCharCode(...bytes): no argument-count limit). */
export function bytesToByteString(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    out += String.fromCharCode.apply(null, Array.from(bytes.subarray(i, i + 4096)));
  }
  return out;
}

/** Byte string → bytes. The caller checked isByteString (higher codes would be truncated). */
export function byteStringToBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
