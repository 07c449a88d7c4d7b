// The ES256 JWT check on the event loop (docs/SECURITY.md#auth). jose parses
// the header and the claims and resolves the key (the JWKS, jwks-keys.ts); the
// signature is checked here with node:crypto, synchronously. jose 6 checks it with
// WebCrypto, which Node runs on libuv's thread pool: on an edge held to one core
// that hop cost ~145 µs per token against ~85 µs for the same check on the loop,
// and in a 10 000-member join storm it was 1.5 s of the 17 s the joins took
// (docs/BENCHMARKS.md, session 8). Everything jose's jwtVerify refuses for an
// ES256-only verifier is refused here too, with jose's own error classes, so
// callers map failures the same way (auth.ts); es256-jwt.test.ts holds the two
// side by side on valid and tampered tokens. Node only: the Durable Object edge
// keeps jose's check, whose WebCrypto is native there.
import { KeyObject, verify } from "node:crypto";
import {
  type CompactJWSHeaderParameters,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
} from "jose";
import type { JwtCheck, JwtCheckOptions } from "./auth.js";

/** A compact JWS signature segment: base64url without padding. */
const SIGNATURE = /^[A-Za-z0-9_-]*$/;
/** An ES256 signature: r ‖ s, 32 bytes each (RFC 7518 §3.4). */
const ES256_SIGNATURE_BYTES = 64;

/** KeyObjects of the CryptoKeys the key getter returns (jose caches those per JWK, so this hits). */
const keyObjects = new WeakMap<object, KeyObject>();

function p256KeyObject(key: unknown): KeyObject {
  if (typeof key !== "object" || key === null)
    throw new errors.JOSENotSupported("key is not an ES256 public key");
  let ko = keyObjects.get(key);
  if (ko === undefined) {
    try {
      ko = key instanceof KeyObject ? key : KeyObject.from(key as CryptoKey);
    } catch {
      // A secret (Uint8Array) or anything else that is no CryptoKey: refused like a wrong key, not as an outage.
      throw new errors.JOSENotSupported("key is not an ES256 public key");
    }
    keyObjects.set(key, ko);
  }
  if (
    ko.type !== "public" ||
    ko.asymmetricKeyType !== "ec" ||
    ko.asymmetricKeyDetails?.namedCurve !== "prime256v1"
  ) {
    throw new errors.JOSENotSupported("key is not a P-256 public key");
  }
  return ko;
}

/** The protected header, refused as jose's jwtVerify refuses it (JWSInvalid). */
function protectedHeader(token: string): ReturnType<typeof decodeProtectedHeader> {
  try {
    return decodeProtectedHeader(token);
  } catch {
    throw new errors.JWSInvalid("JWS Protected Header is invalid");
  }
}

/** The Node edge's JwtCheck (auth.ts): jose's checks, node:crypto's signature check. */
export const verifyEs256Jwt: JwtCheck = async (token, getKey, o) => {
  // In jose's order, so a token is refused with the error class jwtVerify gives it.
  const parts = token.split(".");
  if (parts.length !== 3) throw new errors.JWSInvalid("Invalid Compact JWS");
  const [protectedB64, payloadB64, signatureB64] = parts as [string, string, string];
  const header = protectedHeader(token);
  // No extension is understood, so any `crit` (b64 among them, RFC 7797) is refused (RFC 7515 §4.1.11).
  if (header.crit !== undefined)
    throw new errors.JOSENotSupported('"crit" Header Parameter is not supported');
  if (typeof header.alg !== "string")
    throw new errors.JWSInvalid('"alg" Header Parameter missing or invalid');
  if (header.alg !== "ES256")
    throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed');
  const key = p256KeyObject(
    await getKey(header as CompactJWSHeaderParameters, {
      protected: protectedB64,
      payload: payloadB64,
      signature: signatureB64,
    }),
  );
  // Node's base64url decoder skips what is not base64url; a signature must be nothing else.
  if (!SIGNATURE.test(signatureB64)) throw new errors.JWSInvalid("Failed to base64url decode the signature");
  const signature = Buffer.from(signatureB64, "base64url");
  const signed = Buffer.from(`${protectedB64}.${payloadB64}`, "latin1");
  if (
    signature.length !== ES256_SIGNATURE_BYTES ||
    !verify("sha256", signed, { key, dsaEncoding: "ieee-p1363" }, signature)
  ) {
    throw new errors.JWSSignatureVerificationFailed();
  }
  const payload = decodeJwt(token);
  for (const claim of o.requiredClaims)
    if (!(claim in payload))
      throw new errors.JWTClaimValidationFailed(
        `missing required "${claim}" claim`,
        payload,
        claim,
        "missing",
      );
  checkTimes(payload, o);
  return payload;
};

/** exp, nbf and iat as jose's jwtVerify checks them. */
function checkTimes(payload: JWTPayload, o: JwtCheckOptions): void {
  const { exp, nbf, iat } = payload;
  for (const [claim, value] of [
    ["iat", iat],
    ["nbf", nbf],
    ["exp", exp],
  ] as const) {
    if (value !== undefined && typeof value !== "number")
      throw new errors.JWTClaimValidationFailed(
        `"${claim}" claim must be a number`,
        payload,
        claim,
        "invalid",
      );
  }
  if (nbf !== undefined && nbf > o.nowS + o.toleranceS)
    throw new errors.JWTClaimValidationFailed(
      '"nbf" claim timestamp check failed',
      payload,
      "nbf",
      "check_failed",
    );
  if (exp !== undefined && exp <= o.nowS - o.toleranceS)
    throw new errors.JWTExpired('"exp" claim timestamp check failed', payload, "exp", "check_failed");
}
