// Token verification (docs/ARCHITECTURE.md#the-edge): jose, ES256 only, keys from a
// JWKS. Portable (the Durable Object edge uses it too); the Node edge swaps in a
// signature check on the event loop (es256-jwt.ts, docs/SECURITY.md#auth).
// Every refusal maps to an error code of PROTOCOL.md §7; the token itself is never
// logged or echoed (messages name the failed check, not the value).
import {
  assertJson,
  type ErrorCode,
  encodedStateSize,
  isValidSubject,
  type Json,
  MAX_PLAN_LENGTH,
  MAX_STATE_BYTES,
  MAX_SUB_LENGTH,
  MAX_TOKEN_LIFETIME_S,
  TOKEN_LEEWAY_S,
} from "@collabblocks/protocol";
import { errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";
import { createJwksKeys, type JwksKeys } from "./jwks-keys.js";

export interface TokenClaims {
  /** User id. */
  readonly sub: string;
  readonly room: string;
  readonly plan: string;
  readonly org: string | undefined;
  /** Shown to other users with this connection's presence. */
  readonly info: Json | undefined;
  /** Seconds since the Unix epoch. */
  readonly iat: number;
  readonly exp: number;
}

export type VerifyResult =
  | { readonly ok: true; readonly claims: TokenClaims }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

export interface TokenVerifier {
  /** Verifies a token for a room. Never throws. */
  verify(token: string, roomId: string): Promise<VerifyResult>;
  /** Verifications served from the last good JWKS while its host failed (0 without a JWKS URL). */
  readonly jwksStaleUses: number;
}

export interface JwtCheckOptions {
  /** Now, whole seconds since the Unix epoch (jose floors it too). */
  readonly nowS: number;
  /** Leeway for exp and nbf, seconds. */
  readonly toleranceS: number;
  /** Claims that must be present. */
  readonly requiredClaims: readonly string[];
}

/**
 * Verifies a compact ES256 JWT and returns its claims; throws a jose error
 * (JWSInvalid, JOSEAlgNotAllowed, JWSSignatureVerificationFailed, JWTExpired,
 * JWTClaimValidationFailed, JWTInvalid…) when it is refused.
 */
export type JwtCheck = (token: string, getKey: JWTVerifyGetKey, o: JwtCheckOptions) => Promise<JWTPayload>;

/** jose's jwtVerify, ES256 only: WebCrypto, which is native where the Durable Object edge runs. */
export const joseJwtCheck: JwtCheck = async (token, getKey, o) =>
  (
    await jwtVerify(token, getKey, {
      algorithms: ["ES256"],
      clockTolerance: o.toleranceS,
      requiredClaims: [...o.requiredClaims],
      currentDate: new Date(o.nowS * 1000),
    })
  ).payload;

export interface TokenVerifierOptions {
  /** Where keys come from: a JWKS URL (cached 10 min, refetched on unknown kid) or a key getter. */
  readonly keys: { readonly jwksUrl: string } | { readonly getKey: JWTVerifyGetKey };
  /** Wall clock, ms (tests inject one). */
  readonly now?: () => number;
  /** Extra gate after verification (plans/orgs rollout): return a code to refuse. */
  readonly authorize?: (claims: TokenClaims) => ErrorCode | undefined;
  /** How a token's signature and times are checked (default: jose's jwtVerify). */
  readonly verifyJwt?: JwtCheck;
  /** A check of verified claims threw (a bug, e.g. in `authorize`): logged by the caller, refused as UNAVAILABLE. */
  readonly onError?: (err: unknown) => void;
}

/** Claims every token must carry (PROTOCOL.md §1). */
const REQUIRED_CLAIMS = ["sub", "room", "iat", "exp", "plan"];

const refuse = (code: ErrorCode, message: string): VerifyResult => ({ ok: false, code, message });

/** Maps a jose failure to a code: expiry is TOKEN_EXPIRED, an unreachable JWKS is UNAVAILABLE. */
function codeForError(err: unknown): VerifyResult {
  if (err instanceof errors.JWTExpired) return refuse("TOKEN_EXPIRED", "token has expired");
  if (err instanceof errors.JWKSTimeout) return refuse("UNAVAILABLE", "JWKS fetch timed out");
  if (err instanceof errors.JOSEError) return refuse("INVALID_TOKEN", `token refused: ${err.code}`);
  // fetch() failures (JWKS unreachable) arrive as TypeError / DOMException.
  if (err instanceof Error && (err.name === "TypeError" || err.name === "AbortError")) {
    return refuse("UNAVAILABLE", "JWKS is unreachable");
  }
  return refuse("INVALID_TOKEN", "token refused");
}

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const now = options.now ?? Date.now;
  const jwks: JwksKeys | undefined =
    "jwksUrl" in options.keys ? createJwksKeys(new URL(options.keys.jwksUrl), now) : undefined;
  const getKey: JWTVerifyGetKey = jwks ?? (options.keys as { getKey: JWTVerifyGetKey }).getKey;
  const verifyJwt = options.verifyJwt ?? joseJwtCheck;

  const check = (payload: JWTPayload, roomId: string): VerifyResult => {
    const { sub, room, plan, org, info, iat, exp } = payload as Record<string, unknown>;
    if (typeof sub !== "string" || sub.length === 0 || sub.length > MAX_SUB_LENGTH) {
      return refuse("INVALID_TOKEN", "sub must be a non-empty string");
    }
    // Other clients see `sub` as the user id: no control, format or line-separator characters.
    if (!isValidSubject(sub)) return refuse("INVALID_TOKEN", "sub has control or invisible characters");
    if (typeof room !== "string") return refuse("INVALID_TOKEN", "room must be a string");
    if (room !== roomId) return refuse("ROOM_MISMATCH", "token is for another room");
    if (typeof plan !== "string" || plan.length === 0 || plan.length > MAX_PLAN_LENGTH) {
      return refuse("INVALID_TOKEN", "plan must be a non-empty string");
    }
    if (org !== undefined && typeof org !== "string") return refuse("INVALID_TOKEN", "org must be a string");
    if (typeof iat !== "number" || typeof exp !== "number") {
      return refuse("INVALID_TOKEN", "iat and exp must be numbers");
    }
    const nowS = now() / 1000;
    if (iat > nowS + TOKEN_LEEWAY_S) return refuse("INVALID_TOKEN", "iat is in the future");
    // Measured from now: an `iat` in the future (within the leeway) does not buy extra lifetime.
    if (exp - Math.min(Math.max(iat, nowS), nowS) > MAX_TOKEN_LIFETIME_S) {
      return refuse("TOKEN_TOO_LONG_LIVED", `token lifetime exceeds ${MAX_TOKEN_LIFETIME_S} s`);
    }
    if (info !== undefined) {
      try {
        assertJson(info, "info");
        if (encodedStateSize({ info }) > MAX_STATE_BYTES) return refuse("INVALID_TOKEN", "info is too large");
      } catch {
        return refuse("INVALID_TOKEN", "info is not a JSON value");
      }
    }
    const claims: TokenClaims = { sub, room, plan, org, info: info as Json | undefined, iat, exp };
    const gate = options.authorize?.(claims);
    if (gate !== undefined) return refuse(gate, `refused by policy (${gate})`);
    return { ok: true, claims };
  };

  return {
    get jwksStaleUses() {
      return jwks?.staleUses ?? 0;
    },
    async verify(token, roomId) {
      let payload: JWTPayload;
      try {
        payload = await verifyJwt(token, getKey, {
          nowS: Math.floor(now() / 1000),
          toleranceS: TOKEN_LEEWAY_S,
          requiredClaims: REQUIRED_CLAIMS,
        });
      } catch (err) {
        return codeForError(err);
      }
      // Outside jose's try: a throw here is our bug (or the app's authorize), not an
      // unreachable JWKS, and must not be reported as one.
      try {
        return check(payload, roomId);
      } catch (err) {
        options.onError?.(err);
        return refuse("UNAVAILABLE", "the server could not check the token's claims");
      }
    },
  };
}
