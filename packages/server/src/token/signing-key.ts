// An ES256 signing key for your backend (`collabblocks keys`, docs/AUTH.md): the
// private JWK your backend signs with, and the JWKS (public key only) the server
// reads from `--jwks-url`. Rotation: add a new key's public JWK to the JWKS, sign
// with the new key, drop the old one after the longest token lifetime (15 min).
import { randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, type JSONWebKeySet, type JWK } from "jose";

export interface SigningKey {
  readonly kid: string;
  /** Keep secret: whoever holds it can mint tokens for any user and room. */
  readonly privateJwk: JWK;
  /** Publish at the URL given to `--jwks-url`. */
  readonly jwks: JSONWebKeySet;
}

export async function generateSigningKey(kid: string = randomUUID()): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  const common = { kid, alg: "ES256", use: "sig" };
  return {
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), ...common },
    jwks: { keys: [{ ...(await exportJWK(publicKey)), ...common }] },
  };
}
