// The key the shadow mirror signs its staging tokens with (`--shadow-token-key`,
// `--shadow-kid`): an ES256 (P-256) private key as PEM (PKCS#8 "PRIVATE KEY" or
// SEC1 "EC PRIVATE KEY") or as a JWK JSON file. Its public part goes into the
// staging deployment's JWKS, so staging verifies mirrored connections exactly
// like real ones. Loading is synchronous (start-up, one line on failure, exit 2);
// the key material is never logged.
import { createPrivateKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { type Json, MAX_TOKEN_LIFETIME_S } from "@collabblocks/protocol";
import { SignJWT } from "jose";

/** Lifetime of a mirror token, s (≤ 900, the protocol's limit; renewed in-band before it ends). */
export const SHADOW_TOKEN_LIFETIME_S = 600;

export interface ShadowKey {
  readonly key: KeyObject;
  /** The JWS `kid` staging's JWKS knows the public key by. */
  readonly kid: string;
}

/** Loads and checks the key file. Throws Error with a one-line message (never the key itself). */
export function loadShadowKey(path: string, kidFlag: string | undefined): ShadowKey {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(`--shadow-token-key ${path}: cannot read it (${e.code ?? e.message})`);
  }
  let key: KeyObject;
  let jwkKid: string | undefined;
  try {
    if (text.trimStart().startsWith("{")) {
      const jwk = JSON.parse(text) as Record<string, unknown>;
      jwkKid = typeof jwk.kid === "string" ? jwk.kid : undefined;
      key = createPrivateKey({ key: jwk as import("node:crypto").JsonWebKey, format: "jwk" });
    } else key = createPrivateKey(text);
  } catch {
    throw new Error(`--shadow-token-key ${path}: not a PEM or JWK private key`);
  }
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    throw new Error(`--shadow-token-key ${path}: must be an ES256 (EC P-256) private key`);
  }
  const kid = kidFlag ?? jwkKid;
  if (kid === undefined || kid === "") {
    throw new Error(
      "--shadow-kid is required (the key file names no kid): the kid of the key in staging's JWKS",
    );
  }
  return { key, kid };
}

/** The claims a mirrored connection presents to staging: the production client's own. */
export interface ShadowClaims {
  readonly sub: string;
  readonly room: string;
  readonly plan: string;
  readonly org: string | undefined;
  readonly info: Json | undefined;
}

/** Signs a staging token; `nowS` is seconds since the Unix epoch. Returns the token and its exp. */
export async function signShadowToken(
  key: ShadowKey,
  claims: ShadowClaims,
  nowS: number,
): Promise<{ token: string; exp: number }> {
  const iat = Math.floor(nowS);
  const exp = iat + Math.min(SHADOW_TOKEN_LIFETIME_S, MAX_TOKEN_LIFETIME_S);
  const payload: Record<string, unknown> = {
    sub: claims.sub,
    room: claims.room,
    plan: claims.plan,
    iat,
    exp,
  };
  if (claims.org !== undefined) payload.org = claims.org;
  if (claims.info !== undefined) payload.info = claims.info;
  const token = await new SignJWT(payload)
    .setProtectedHeader({ alg: "ES256", kid: key.kid, typ: "JWT" })
    .sign(key.key);
  return { token, exp };
}
