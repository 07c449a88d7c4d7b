// Dev-mode token issuer (packages/client/README.md#behaviour): an ephemeral ES256 key made at start, its
// JWKS for `/.well-known/jwks.json`, and tokens for `POST /v1/dev/token`. The
// private key never leaves the process and is gone when it exits.
import { randomUUID } from "node:crypto";
import type { Json } from "@collabblocks/protocol";
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from "jose";
import { signClaims } from "../token/sign-token.js";

/** Lifetime of a dev token, seconds (10 min). */
export const DEV_TOKEN_LIFETIME_S = 600;
/** Plan claim of a dev token when the request names none. */
export const DEV_DEFAULT_PLAN = "pro";

export interface DevTokenRequest {
  readonly room: string;
  readonly user: string;
  readonly plan?: string;
  readonly info?: Json;
  readonly org?: string;
  /** Lifetime override, seconds (tests use short-lived tokens). */
  readonly lifetimeS?: number;
}

export interface DevIssuer {
  readonly jwks: JSONWebKeySet;
  /** Verifies against the issuer's own key without an HTTP round trip. */
  readonly getKey: JWTVerifyGetKey;
  issue(request: DevTokenRequest): Promise<string>;
}

export async function createDevIssuer(now: () => number = Date.now): Promise<DevIssuer> {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" };
  const jwks: JSONWebKeySet = { keys: [jwk] };
  return {
    jwks,
    getKey: createLocalJWKSet(jwks),
    async issue(req) {
      const iat = Math.floor(now() / 1000);
      const claims = {
        sub: req.user,
        room: req.room,
        plan: req.plan ?? DEV_DEFAULT_PLAN,
        info: req.info,
        org: req.org,
      };
      return signClaims(privateKey, kid, claims, iat, iat + (req.lifetimeS ?? DEV_TOKEN_LIFETIME_S));
    },
  };
}
