// Presence validation against PROTOCOL.md §6. Pure: takes values, returns values or
// throws ProtocolError with INVALID_PRESENCE / PRESENCE_TOO_LARGE. A rejected
// patch changes nothing: callers validate the merged result before committing it.

import { encode } from "./codec.js";
import { ProtocolError } from "./errors.js";
import { isPlainObject, type Json } from "./json.js";
import {
  MAX_AVATAR_LENGTH,
  MAX_META_BYTES,
  MAX_STATE_BYTES,
  MAX_STATUS_LENGTH,
  MAX_VALUE_DEPTH,
} from "./limits.js";
import { MessageType } from "./messages.js";
import { msgpack } from "./msgpack.js";
import { applyPatch } from "./patch.js";
import { type Patch, type PresenceData, RESERVED_KEYS } from "./presence-types.js";
import { isByteString, SEALED_KEY } from "./sealed.js";
import { stateToWire } from "./state-codec.js";

function invalid(message: string): never {
  throw new ProtocolError("INVALID_PRESENCE", message);
}

/** Checks that a value is JSON-like: finite numbers, plain objects, arrays; no undefined. */
export function assertJson(value: unknown, path: string, depth = 0): asserts value is Json {
  if (value === null || typeof value === "boolean" || typeof value === "string") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) invalid(`${path} is not a finite number`);
    return;
  }
  if (depth >= MAX_VALUE_DEPTH) invalid(`${path} is nested deeper than ${MAX_VALUE_DEPTH}`);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) assertJson(value[i], `${path}[${i}]`, depth + 1);
    return;
  }
  if (isPlainObject(value)) {
    for (const key of Object.keys(value)) assertJson(value[key], `${path}.${key}`, depth + 1);
    return;
  }
  invalid(`${path} is ${value === undefined ? "undefined" : `a ${typeof value}`}, not a JSON value`);
}

function checkKnownField(key: string, value: Json): void {
  switch (key) {
    case "cursor": {
      if (value === null) return;
      if (!isPlainObject(value)) invalid("cursor must be null or { x, y }");
      const keys = Object.keys(value);
      if (keys.length !== 2 || !("x" in value) || !("y" in value))
        invalid("cursor must have exactly x and y");
      for (const axis of ["x", "y"] as const) {
        const v = value[axis];
        if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > 1) {
          invalid(`cursor.${axis} must be a finite number in [0, 1]`);
        }
      }
      return;
    }
    case "status":
      if (value !== null && (typeof value !== "string" || value.length > MAX_STATUS_LENGTH)) {
        invalid(`status must be a string of at most ${MAX_STATUS_LENGTH} characters`);
      }
      return;
    case "avatar":
      if (value === null) return;
      if (typeof value !== "string" || value.length > MAX_AVATAR_LENGTH || !isHttpUrl(value)) {
        invalid(`avatar must be an http(s) URL of at most ${MAX_AVATAR_LENGTH} characters`);
      }
      return;
    case SEALED_KEY:
      // Opaque to the server (docs/E2EE.md): only its size counts, in the state limit.
      if (!isByteString(value)) invalid(`"${SEALED_KEY}" holds sealed bytes (a string of codes 0–255)`);
      return;
    case "meta":
      if (value === null) return;
      if (!isPlainObject(value)) invalid("meta must be an object");
      if (msgpack().packedSize(value) > MAX_META_BYTES) {
        throw new ProtocolError("PRESENCE_TOO_LARGE", `meta exceeds ${MAX_META_BYTES} bytes encoded`);
      }
      return;
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

function checkKey(key: string): void {
  if (RESERVED_KEYS.has(key)) invalid(`"${key}" is a reserved key`);
  if (key.length === 0 || key.length > 128) invalid("presence keys must be 1–128 characters");
}

/** Validates a patch's shape and known fields. Throws ProtocolError; returns nothing. */
export function validatePatch(patch: Patch): void {
  if (!isPlainObject(patch.set)) invalid("set must be an object");
  if (!Array.isArray(patch.del)) invalid("del must be an array");
  for (const key of Object.keys(patch.set)) {
    checkKey(key);
    const value: unknown = patch.set[key];
    assertJson(value, key);
    checkKnownField(key, value);
  }
  for (const key of patch.del) {
    if (typeof key !== "string") invalid("deleted keys must be strings");
    checkKey(key);
    if (Object.hasOwn(patch.set, key)) invalid(`"${key}" is both set and deleted`);
  }
}

/** Encoded size of a state in its wire form, bytes. */
export function encodedStateSize(state: PresenceData): number {
  return msgpack().packedSize(stateToWire(state));
}

function checkStateSize(state: PresenceData): void {
  const size = encodedStateSize(state);
  if (size > MAX_STATE_BYTES) {
    throw new ProtocolError(
      "PRESENCE_TOO_LARGE",
      `presence is ${size} bytes encoded; the limit is ${MAX_STATE_BYTES}`,
    );
  }
}

/** Validates a whole state (an initial presence, or one from an untrusted source). */
export function validateState(state: PresenceData): void {
  validatePatch({ set: state, del: [] });
  checkStateSize(state);
}

/**
 * Validates a patch against a state that is already valid and returns the merged
 * state, or throws and changes nothing. Only the patch's keys are checked, plus
 * the merged size: the other keys were checked when they were set, and this runs
 * per patch on the edge's hot path, so they are not walked again.
 */
export function applyValidatedPatch(state: PresenceData, patch: Patch): PresenceData {
  validatePatch(patch);
  const merged = applyPatch(state, patch);
  checkStateSize(merged);
  return merged;
}

/** Encoded size of an update message carrying this patch (what the SDK checks against the frame limit). */
export function encodedPatchSize(patch: Patch): number {
  return encode({ type: MessageType.UPDATE_PRESENCE, set: patch.set, del: patch.del }).length;
}
