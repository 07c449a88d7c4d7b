// Compact wire form of presence states and values.
//
// A state goes on the wire as a MsgPack map. The four known fields of the product
// plan get small integer keys (cursor 0, status 1, avatar 2, meta 3), and a cursor
// that is exactly `{x, y}` is sent as the array `[x, y]`: a realistic cursor update
// (x = 523/1280) costs 24 bytes instead of JSON's ~75. Numbers stay float64 so
// values round-trip exactly; quantising cursors to uint16 was rejected for that
// reason. Other keys are plain string-keyed entries.

import { ProtocolError } from "./errors.js";
import { type Json, type JsonObject, setOwn } from "./json.js";
import { MAX_VALUE_DEPTH } from "./limits.js";
import type { PresenceData } from "./presence-types.js";
import { byteStringToBytes, bytesToByteString, isByteString, SEALED_FIELD_INDEX } from "./sealed.js";

// Index 4 is the sealed part of an end-to-end encrypted state (sealed.ts): MsgPack bin on
// the wire, a byte string in memory.
const KNOWN_KEYS = ["cursor", "status", "avatar", "meta", "~"] as const;
// A Map, not an object literal: a lookup of "toString" or "constructor" on an
// object would find Object.prototype's members (a bug the round-trip property found).
const KEY_INDEX: ReadonlyMap<string, number> = new Map(KNOWN_KEYS.map((k, i) => [k, i]));

function isCompactCursor(value: Json): value is { x: number; y: number } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  const v = value as JsonObject;
  return keys.length === 2 && typeof v.x === "number" && typeof v.y === "number";
}

/** State (or patch `set`) → the value handed to msgpackr. */
export function stateToWire(state: PresenceData): Map<string | number, unknown> {
  const out = new Map<string | number, unknown>();
  for (const key of Object.keys(state)) {
    const value = state[key] as Json;
    const index = KEY_INDEX.get(key);
    if (index === SEALED_FIELD_INDEX) {
      // Not a byte string: an unvalidated state; kept as is so validation reports it.
      if (isByteString(value)) out.set(index, byteStringToBytes(value));
      else out.set(key, value);
    } else if (index === 0) {
      if (value === null) out.set(0, null);
      else if (isCompactCursor(value)) out.set(0, [value.x, value.y]);
      else out.set(key, value);
    } else if (index !== undefined) {
      out.set(index, value);
    } else {
      out.set(key, value);
    }
  }
  return out;
}

function malformed(message: string): never {
  throw new ProtocolError("MALFORMED_MESSAGE", message);
}

/** A decoded msgpackr value → a Json value, or MALFORMED_MESSAGE. Maps need string keys. */
export function valueFromWire(value: unknown, depth = 0): Json {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) malformed("non-finite number");
    return value;
  }
  if (typeof value === "bigint")
    malformed("integer beyond ±2^53 (it would lose precision); send it as a string");
  if (depth >= MAX_VALUE_DEPTH) malformed(`value nested deeper than ${MAX_VALUE_DEPTH}`);
  if (Array.isArray(value)) return value.map((v) => valueFromWire(v, depth + 1));
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) {
      if (typeof k !== "string") malformed("map key is not a string");
      if (Object.hasOwn(out, k)) malformed(`duplicate map key ${JSON.stringify(k.slice(0, 64))}`);
      setOwn(out, k, valueFromWire(v, depth + 1));
    }
    return out as JsonObject;
  }
  return malformed(`unsupported value type ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === undefined) return "undefined (extension)";
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  return typeof value;
}

/** The inverse of stateToWire, validating as it goes. */
export function stateFromWire(value: unknown): PresenceData {
  if (!(value instanceof Map)) malformed("presence state is not a map");
  const out: Record<string, unknown> = {};
  for (const [k, v] of value) {
    let key: string;
    let decoded: Json;
    if (typeof k === "number") {
      const known = KNOWN_KEYS[k];
      if (known === undefined || !Number.isInteger(k)) malformed(`unknown field index ${k}`);
      key = known;
      if (k === SEALED_FIELD_INDEX) {
        if (!(v instanceof Uint8Array)) malformed("the sealed field (index 4) is not binary");
        decoded = bytesToByteString(v);
      } else if (k === 0 && v !== null) {
        if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== "number" || typeof v[1] !== "number") {
          malformed("compact cursor is not [x, y]");
        }
        decoded = { x: valueFromWire(v[0]), y: valueFromWire(v[1]) } as JsonObject;
      } else {
        decoded = valueFromWire(v, 1);
      }
    } else if (typeof k === "string") {
      key = k;
      decoded = valueFromWire(v, 1);
    } else {
      return malformed("presence key is neither a field index nor a string");
    }
    if (Object.hasOwn(out, key)) malformed(`duplicate presence key ${JSON.stringify(key.slice(0, 64))}`);
    setOwn(out, key, decoded);
  }
  return out as PresenceData;
}
