// Tokens for your app's backend (docs/AUTH.md): the claims PROTOCOL.md §1 asks for,
// signed ES256 with jose, checked before signing so a bad claim is a TypeError or
// RangeError in your backend instead of a refused connection in a user's browser.
// Imports only jose and the protocol's rules (`@collabblocks/server/token`), so a
// backend does not load the server's Redis and gRPC clients to sign a token.
import {
  isValidRoomId,
  isValidSubject,
  type Json,
  MAX_PLAN_LENGTH,
  MAX_TOKEN_LIFETIME_S,
} from "@collabblocks/protocol";
import { type CryptoKey, importJWK, type JWK, type KeyObject, SignJWT } from "jose";

/** Default token lifetime, seconds: renewed in-band by the SDK before it ends. */
export const DEFAULT_TOKEN_TTL_S = 600;

export interface TokenClaimsInput {
  /** The user id other clients see (1–256 characters, no control characters). */
  readonly sub: string;
  /** The one room the token opens. */
  readonly room: string;
  /** Plan tier; rollout gates may refuse some (`PLAN_NOT_ENABLED`). */
  readonly plan: string;
  /** Lifetime, seconds, 1–900 (default 600). */
  readonly ttlSeconds?: number;
  /** JSON shown to others as the user's `info` (name, avatar…). */
  readonly info?: Json;
  /** Organisation, for rollout gates. */
  readonly org?: string;
}

export interface TokenSigner {
  /** The key id put in each token's header (the JWKS must hold its public key). */
  readonly kid: string;
  sign(claims: TokenClaimsInput): Promise<string>;
}

/**
 * A signer for an ES256 private JWK (from `collabblocks keys`). Throws TypeError
 * for a key that is not a private P-256 JWK with a `kid`.
 */
export async function createTokenSigner(privateJwk: JWK, now: () => number = Date.now): Promise<TokenSigner> {
  if (privateJwk.kty !== "EC" || privateJwk.crv !== "P-256" || typeof privateJwk.d !== "string") {
    throw new TypeError("createTokenSigner needs a private ES256 (P-256) JWK, as `collabblocks keys` writes");
  }
  const kid = privateJwk.kid;
  if (typeof kid !== "string" || kid.length === 0) throw new TypeError("the private JWK needs a `kid`");
  const key = await importJWK(privateJwk, "ES256");
  return {
    kid,
    async sign(input) {
      checkClaims(input);
      const iat = Math.floor(now() / 1000);
      return signClaims(key, kid, input, iat, iat + (input.ttlSeconds ?? DEFAULT_TOKEN_TTL_S));
    },
  };
}

/**
 * Signs the claims as they are, unchecked: the one place a presence token is
 * assembled. The dev issuer uses it directly (its tests mint expired and
 * over-long tokens on purpose); apps use createTokenSigner.
 */
export function signClaims(
  key: CryptoKey | KeyObject | Uint8Array,
  kid: string,
  input: Omit<TokenClaimsInput, "ttlSeconds">,
  iat: number,
  exp: number,
): Promise<string> {
  const claims: Record<string, unknown> = { room: input.room, plan: input.plan };
  if (input.info !== undefined) claims.info = input.info;
  if (input.org !== undefined) claims.org = input.org;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid, typ: "JWT" })
    .setSubject(input.sub)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(key);
}

function checkClaims(input: TokenClaimsInput): void {
  if (typeof input.sub !== "string" || !isValidSubject(input.sub)) {
    throw new TypeError("sub must be 1–256 characters without control or invisible characters");
  }
  if (typeof input.room !== "string" || !isValidRoomId(input.room)) {
    throw new TypeError("room must match [A-Za-z0-9._:-]{1,128}");
  }
  if (typeof input.plan !== "string" || input.plan.length === 0 || input.plan.length > MAX_PLAN_LENGTH) {
    throw new TypeError(`plan must be a string of 1–${MAX_PLAN_LENGTH} characters`);
  }
  const ttl = input.ttlSeconds ?? DEFAULT_TOKEN_TTL_S;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TOKEN_LIFETIME_S) {
    throw new RangeError(
      `ttlSeconds must be an integer 1–${MAX_TOKEN_LIFETIME_S} (the server refuses longer tokens)`,
    );
  }
}
