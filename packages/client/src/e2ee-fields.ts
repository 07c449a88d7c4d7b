// Which presence fields are sealed, and under which wire key they travel (docs/E2EE.md#fields).
//
// A sealed field `f` travels as the key "~f" holding an envelope string. It cannot stay under
// `f`: the server checks the shape of its known fields (PROTOCOL.md §6: `cursor` must be {x, y},
// `status` ≤ 64 characters, `avatar` a URL, `meta` an object), and an envelope is none of those.
// The prefix also lets a receiver tell a sealed value from a clear one without guessing.
import { encodedStateSize, type Json, type PresenceData, setOwn } from "@collabblocks/protocol";
import { envelopeLength, MAX_KEY_ID_LENGTH, plaintextBytes } from "./e2ee-envelope.js";

export const SEALED_KEY_PREFIX = "~";
/** Longest presence key the protocol accepts (PROTOCOL.md §6); a sealed key adds the prefix. */
const MAX_KEY_LENGTH = 128;
/** The position field views filter on when the room declares none (PROTOCOL.md §8). */
export const DEFAULT_POSITION_FIELD = "cursor";

export interface FieldPolicy {
  isSealed(field: string): boolean;
  wireKey(field: string): string;
  /** The field a sealed wire key carries, or null for a clear key. */
  fieldOf(wireKey: string): string | null;
  /** Why this state cannot be sent under the policy, or null. */
  problem(state: PresenceData): string | null;
}

/**
 * `fields` lists the sealed fields; without it every field is sealed except `positionField`
 * (the room's view field, `cursor` by default), so the server can still filter views by position.
 */
export function createFieldPolicy(fields: readonly string[] | undefined, positionField: string): FieldPolicy {
  const listed = fields === undefined ? null : new Set(fields);
  const isSealed = (field: string) => (listed === null ? field !== positionField : listed.has(field));
  return {
    isSealed,
    wireKey: (field) => SEALED_KEY_PREFIX + field,
    fieldOf: (wireKey) =>
      wireKey.startsWith(SEALED_KEY_PREFIX) ? wireKey.slice(SEALED_KEY_PREFIX.length) : null,
    problem(state) {
      for (const key of Object.keys(state)) {
        if (isSealed(key) && key.length + SEALED_KEY_PREFIX.length > MAX_KEY_LENGTH) {
          return `sealed field "${key}" is longer than ${MAX_KEY_LENGTH - SEALED_KEY_PREFIX.length} characters`;
        }
        if (!isSealed(key) && key.startsWith(SEALED_KEY_PREFIX)) {
          return `clear field "${key}" starts with "${SEALED_KEY_PREFIX}", which marks sealed fields`;
        }
      }
      return null;
    },
  };
}

/** What the sizes of the next envelopes depend on. */
export interface SealSizing {
  readonly keyIdLength: number | undefined;
  readonly epoch: number;
  readonly counter: number;
}

/**
 * Upper estimate of a state's encoded size once sealed, bytes: each sealed value replaced by a
 * string of its envelope's length. Exact but for the digits of epoch and counter, which are
 * taken with headroom, and the key id, which is the longest allowed until the first sealing.
 */
export function sealedStateSize(state: PresenceData, policy: FieldPolicy, sizing: SealSizing): number {
  const keyIdLength = sizing.keyIdLength ?? MAX_KEY_ID_LENGTH;
  const epoch = sizing.epoch + 1000;
  const counter = sizing.counter + 1_000_000;
  const wire: Record<string, Json> = {};
  for (const key of Object.keys(state)) {
    const value = state[key] as Json;
    if (!policy.isSealed(key)) setOwn(wire, key, value);
    else
      setOwn(
        wire,
        policy.wireKey(key),
        "x".repeat(envelopeLength(plaintextBytes(value), keyIdLength, epoch, counter)),
      );
  }
  return encodedStateSize(wire);
}
