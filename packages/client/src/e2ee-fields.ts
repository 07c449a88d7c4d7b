// Which presence fields are sealed (docs/E2EE.md#fields), and the size a state takes once
// sealed. All sealed fields of a state travel together, as one sealed state under the key "~"
// (PROTOCOL.md §2); the others travel in clear.
import { encodedStateSize, type Json, type PresenceData, SEALED_KEY, setOwn } from "@collabblocks/protocol";
import { sealedLength } from "./e2ee-envelope.js";
import { MAX_KEY_ID } from "./e2ee-keys.js";

/** The position field views filter on when the room declares none (PROTOCOL.md §8). */
export const DEFAULT_POSITION_FIELD = "cursor";

export interface FieldPolicy {
  isSealed(field: string): boolean;
  /** Why this state cannot be sent under the policy, or null. */
  problem(state: PresenceData): string | null;
}

/**
 * `fields` lists the sealed fields; without it every field is sealed except `positionField`
 * (the room's view field, `cursor` by default), so the server can still filter views by position.
 */
export function createFieldPolicy(fields: readonly string[] | undefined, positionField: string): FieldPolicy {
  const listed = fields === undefined ? null : new Set(fields);
  const isSealed = (field: string) =>
    field !== SEALED_KEY && (listed === null ? field !== positionField : listed.has(field));
  return {
    isSealed,
    problem(state) {
      if (Object.hasOwn(state, SEALED_KEY)) return `"${SEALED_KEY}" is the key of sealed presence (reserved)`;
      return null;
    },
  };
}

/** The sealed part of a state (its sealed fields, in order). */
export function sealedPart(state: PresenceData, policy: FieldPolicy): PresenceData {
  const out: Record<string, Json> = {};
  for (const key of Object.keys(state)) if (policy.isSealed(key)) setOwn(out, key, state[key]);
  return out;
}

/** What the sizes of the next sealed states depend on. */
export interface SealSizing {
  readonly keyId: number | undefined;
  readonly epoch: number;
  readonly counter: number;
}

/**
 * Upper estimate of a state's encoded size once sealed, bytes. Exact but for the varints of
 * epoch and counter, taken with headroom, and the key id, the largest allowed until the first
 * sealing.
 */
export function sealedStateSize(state: PresenceData, policy: FieldPolicy, sizing: SealSizing): number {
  const wire: Record<string, Json> = {};
  const sealed = sealedPart(state, policy);
  for (const key of Object.keys(state)) if (!policy.isSealed(key)) setOwn(wire, key, state[key] as Json);
  if (Object.keys(sealed).length > 0) {
    const header = {
      keyId: sizing.keyId ?? MAX_KEY_ID,
      epoch: sizing.epoch + 1000,
      counter: sizing.counter + 1_000_000,
      fields: Object.keys(sealed),
    };
    setOwn(wire, SEALED_KEY, "\u0000".repeat(sealedLength(header, sealed)));
  }
  return encodedStateSize(wire);
}
