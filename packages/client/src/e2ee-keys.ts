// Presence keys (docs/E2EE.md#keys): a fixed AES-GCM-256 CryptoKey, or the app's resolver
// for rotation. Distributing keys is the app's job; the SDK only asks for them.

/** Key ids are integers in [0, MAX_KEY_ID]; 0–127 take one byte in every sealed state. */
export const MAX_KEY_ID = 2 ** 32 - 1;

/** A key and its id; the id travels in every sealed state so receivers can pick the right key. */
export interface PresenceKey {
  readonly key: CryptoKey;
  readonly id: number;
}

/**
 * `resolve()` (no id) returns the current key for sealing; `resolve(id)` returns the key with that
 * id for opening (old ids after a rotation), or undefined when unknown. Called once per
 * outgoing patch with sealed fields and once per unknown id, so return cached keys.
 */
export type PresenceKeyResolver = (id?: number) => Promise<PresenceKey | undefined> | PresenceKey | undefined;

export type PresenceKeySource = CryptoKey | PresenceKeyResolver;

/** Id of a fixed key (`encryptedPresence({ key: cryptoKey })`). */
export const FIXED_KEY_ID = 0;
/** Keys remembered by id for opening, most recently used kept (a rotation adds one now and then). */
export const MAX_CACHED_KEYS = 16;

export interface KeyRing {
  /** The key to seal with now. Rejects (TypeError) if the resolver returns nothing usable. */
  current(): Promise<PresenceKey>;
  /** The key with this id, or undefined when the resolver does not know it. */
  byId(id: number): Promise<CryptoKey | undefined>;
  /** The last sealing key's id (for size estimates before the next sealing). */
  readonly currentId: number | undefined;
}

/** True for an AES-GCM key of 256 bits (what `importKey`/`deriveKey` give for `{name: "AES-GCM", length: 256}`). */
export function isAesGcm256(key: unknown): key is CryptoKey {
  if (typeof key !== "object" || key === null) return false;
  const algorithm = (key as { algorithm?: { name?: unknown; length?: unknown } }).algorithm;
  return algorithm?.name === "AES-GCM" && algorithm.length === 256;
}

function checked(result: PresenceKey | undefined, wanted: number | undefined): PresenceKey | undefined {
  if (result === undefined) return undefined;
  if (typeof result !== "object" || result === null || !isAesGcm256(result.key)) {
    throw new TypeError("the presence key resolver must return { key: AES-GCM-256 CryptoKey, id }");
  }
  if (!Number.isInteger(result.id) || result.id < 0 || result.id > MAX_KEY_ID) {
    throw new TypeError(`presence key ids must be integers in [0, ${MAX_KEY_ID}], got ${String(result.id)}`);
  }
  if (wanted !== undefined && result.id !== wanted) return undefined;
  return result;
}

export function createKeyRing(source: PresenceKeySource): KeyRing {
  const resolve: PresenceKeyResolver =
    typeof source === "function"
      ? source
      : (id) => (id === undefined || id === FIXED_KEY_ID ? { key: source, id: FIXED_KEY_ID } : undefined);
  const cache = new Map<number, CryptoKey>();
  let currentId: number | undefined;

  function remember(key: PresenceKey): void {
    cache.delete(key.id);
    cache.set(key.id, key.key);
    if (cache.size > MAX_CACHED_KEYS) cache.delete(cache.keys().next().value as number);
  }

  return {
    async current() {
      const key = checked(await resolve(), undefined);
      if (key === undefined) throw new TypeError("the presence key resolver returned no current key");
      remember(key);
      currentId = key.id;
      return key;
    },
    async byId(id) {
      const known = cache.get(id);
      if (known !== undefined) return known;
      const key = checked(await resolve(id), id);
      if (key !== undefined) remember(key);
      return key?.key;
    },
    get currentId() {
      return currentId;
    },
  };
}
