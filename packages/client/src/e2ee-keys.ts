// Presence keys (docs/E2EE.md#keys): a fixed AES-GCM-256 CryptoKey, or the app's resolver
// for rotation. Distributing keys is the app's job; the SDK only asks for them.
import { KEY_ID_PATTERN } from "./e2ee-envelope.js";

/** A key and its id; the id travels in every envelope so receivers can pick the right key. */
export interface PresenceKey {
  readonly key: CryptoKey;
  readonly id: string;
}

/**
 * `resolve()` (no id) returns the current key for sealing; `resolve(id)` returns the key with that
 * id for opening (old ids after a rotation), or undefined when unknown. Called once per
 * outgoing patch with sealed fields and once per unknown id, so return cached keys.
 */
export type PresenceKeyResolver = (id?: string) => Promise<PresenceKey | undefined> | PresenceKey | undefined;

export type PresenceKeySource = CryptoKey | PresenceKeyResolver;

/** Id of a fixed key (`encryption: { key: cryptoKey }`). */
export const FIXED_KEY_ID = "0";
/** Keys remembered by id for opening, most recently used kept (a rotation adds one now and then). */
export const MAX_CACHED_KEYS = 16;

export interface KeyRing {
  /** The key to seal with now. Rejects (TypeError) if the resolver returns nothing usable. */
  current(): Promise<PresenceKey>;
  /** The key with this id, or undefined when the resolver does not know it. */
  byId(id: string): Promise<CryptoKey | undefined>;
  /** Length of the last sealing key's id (for size estimates before the next sealing). */
  readonly currentIdLength: number | undefined;
}

/** True for an AES-GCM key of 256 bits (what `importKey`/`deriveKey` give for `{name: "AES-GCM", length: 256}`). */
export function isAesGcm256(key: unknown): key is CryptoKey {
  if (typeof key !== "object" || key === null) return false;
  const algorithm = (key as { algorithm?: { name?: unknown; length?: unknown } }).algorithm;
  return algorithm?.name === "AES-GCM" && algorithm.length === 256;
}

function checked(result: PresenceKey | undefined, wanted: string | undefined): PresenceKey | undefined {
  if (result === undefined) return undefined;
  if (typeof result !== "object" || result === null || !isAesGcm256(result.key)) {
    throw new TypeError("the presence key resolver must return { key: AES-GCM-256 CryptoKey, id }");
  }
  if (typeof result.id !== "string" || !KEY_ID_PATTERN.test(result.id)) {
    throw new TypeError(`presence key ids must match ${KEY_ID_PATTERN}, got ${String(result.id)}`);
  }
  if (wanted !== undefined && result.id !== wanted) return undefined;
  return result;
}

export function createKeyRing(source: PresenceKeySource): KeyRing {
  const resolve: PresenceKeyResolver =
    typeof source === "function"
      ? source
      : (id) => (id === undefined || id === FIXED_KEY_ID ? { key: source, id: FIXED_KEY_ID } : undefined);
  const cache = new Map<string, CryptoKey>();
  let currentIdLength: number | undefined;

  function remember(key: PresenceKey): void {
    cache.delete(key.id);
    cache.set(key.id, key.key);
    if (cache.size > MAX_CACHED_KEYS) cache.delete(cache.keys().next().value as string);
  }

  return {
    async current() {
      const key = checked(await resolve(), undefined);
      if (key === undefined) throw new TypeError("the presence key resolver returned no current key");
      remember(key);
      currentIdLength = key.id.length;
      return key;
    },
    async byId(id) {
      const known = cache.get(id);
      if (known !== undefined) return known;
      const key = checked(await resolve(id), id);
      if (key !== undefined) remember(key);
      return key?.key;
    },
    get currentIdLength() {
      return currentIdLength;
    },
  };
}
