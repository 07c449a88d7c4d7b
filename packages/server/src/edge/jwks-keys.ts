// Keys from a JWKS URL (docs/ARCHITECTURE.md#the-edge), kept serving through an
// outage of the JWKS host. jose's remote key set caches the JWKS for 10 min and
// refetches on an unknown `kid`; once the cache is stale, a failed refetch used
// to refuse every new connection (UNAVAILABLE) though the keys it had were still
// good. Here the last JWKS fetched successfully keeps verifying tokens
// (stale-while-error, counted in presence_jwks_stale_total); after a failure the
// host is left alone for JWKS_RETRY_AFTER_FAILURE_MS, so a hanging JWKS costs one
// timeout per cool-down, not one per connection. jose already runs one fetch at a
// time (single flight).
import {
  type CompactJWSHeaderParameters,
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from "jose";

/** JWKS cache lifetime, ms (10 min). */
export const JWKS_CACHE_MAX_AGE_MS = 10 * 60 * 1000;
/** Least time between two refetches caused by an unknown `kid`, ms (bounds refetch storms). */
export const JWKS_COOLDOWN_MS = 30 * 1000;
/** JWKS fetch timeout, ms: short, because joins wait on it. */
export const JWKS_TIMEOUT_MS = 2000;
/** After a failed fetch, the host is not asked again for this long, ms; the last good keys serve. */
export const JWKS_RETRY_AFTER_FAILURE_MS = 30 * 1000;

export interface JwksKeys extends JWTVerifyGetKey {
  /** Verifications served from the last good JWKS while the host failed. */
  readonly staleUses: number;
}

/** A fetch that failed (host down, hanging, bad answer), as opposed to a key the JWKS does not have. */
function isFetchFailure(err: unknown): boolean {
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return true;
  if (err instanceof errors.JOSEError) return err.code === "ERR_JOSE_GENERIC";
  return err instanceof Error && (err.name === "TypeError" || err.name === "AbortError");
}

export function createJwksKeys(url: URL, now: () => number = Date.now): JwksKeys {
  const remote = createRemoteJWKSet(url, {
    cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
    cooldownDuration: JWKS_COOLDOWN_MS,
    timeoutDuration: JWKS_TIMEOUT_MS,
  });
  let lastGood: JSONWebKeySet | undefined;
  let local: JWTVerifyGetKey | undefined;
  let failedAt = Number.NEGATIVE_INFINITY;
  let staleUses = 0;

  const fromLastGood = (header: CompactJWSHeaderParameters, token: FlattenedJWSInput) => {
    staleUses++;
    return (local as JWTVerifyGetKey)(header, token);
  };

  const getKey = async (header: CompactJWSHeaderParameters, token: FlattenedJWSInput) => {
    if (local !== undefined && now() - failedAt < JWKS_RETRY_AFTER_FAILURE_MS)
      return fromLastGood(header, token);
    try {
      const key = await remote(header, token);
      const jwks = remote.jwks();
      if (jwks !== undefined && jwks !== lastGood) {
        lastGood = jwks;
        local = createLocalJWKSet(jwks);
      }
      return key;
    } catch (err) {
      if (!isFetchFailure(err)) throw err;
      failedAt = now();
      if (local === undefined) throw err;
      return fromLastGood(header, token);
    }
  };
  return Object.defineProperty(getKey, "staleUses", { get: () => staleUses }) as unknown as JwksKeys;
}
