// What a sealed field looks like to a client without its key (docs/E2EE.md#locked-fields):
// a `Locked` value in place of the field, which the app can render ("🔒"), never ciphertext
// or garbage. The brand is a registered symbol rather than a class, so `isLocked` holds
// across two copies of the SDK (its ESM and CommonJS builds in one app).

const BRAND = Symbol.for("collabblocks.locked");

/** A sealed presence field this client cannot read (no key, or not the key it was sealed with). */
export interface Locked {
  readonly locked: true;
  /** The id of the key it was sealed with. */
  readonly keyId: number;
}

export function createLocked(keyId: number): Locked {
  return Object.freeze({ locked: true as const, keyId, [BRAND]: true });
}

/** True for a presence value that is sealed and locked to this client. */
export function isLocked(value: unknown): value is Locked {
  return typeof value === "object" && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
}
