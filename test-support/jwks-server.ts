// A local JWKS HTTP server and ES256 token factory for the tests of every workspace
// (the server's auth and process tests, the client's against a real `serve`): keys are
// made in the test, served on a free port, and can be rotated to test unknown-kid refetches.
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";

export interface TestKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export async function createTestKey(kid: string): Promise<TestKey> {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } };
}

export interface JwksServer {
  readonly url: string;
  /** Requests served so far. */
  readonly fetches: number;
  setKeys(keys: readonly TestKey[]): void;
  close(): Promise<void>;
}

export async function startJwksServer(keys: readonly TestKey[]): Promise<JwksServer> {
  let current = keys;
  let fetches = 0;
  const server = createServer((_req, res) => {
    fetches++;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ keys: current.map((k) => k.publicJwk) }));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get fetches() {
      return fetches;
    },
    setKeys(next) {
      current = next;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface TokenSpec {
  readonly sub?: string;
  readonly room?: string;
  readonly plan?: string;
  readonly info?: unknown;
  readonly org?: string;
  /** Seconds since the Unix epoch; default now. */
  readonly iat?: number;
  /** Seconds since the Unix epoch; default iat + 600. */
  readonly exp?: number;
  /** Claims to leave out. */
  readonly omit?: readonly string[];
}

/** Signs an ES256 token with the usual claims (overridable, omittable). */
export async function signToken(key: TestKey, spec: TokenSpec = {}): Promise<string> {
  const iat = spec.iat ?? Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    sub: spec.sub ?? "alice",
    room: spec.room ?? "room-1",
    plan: spec.plan ?? "pro",
    iat,
    exp: spec.exp ?? iat + 600,
  };
  if (spec.info !== undefined) claims.info = spec.info;
  if (spec.org !== undefined) claims.org = spec.org;
  for (const name of spec.omit ?? []) delete claims[name];
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid: key.kid, typ: "JWT" })
    .sign(key.privateKey);
}

/**
 * One signing key and its JWKS on a free port: the app backend of a test against
 * `collabblocks serve --jwks-url` (the key outlives server restarts, as a production one does).
 */
export interface TestAuthority {
  readonly key: TestKey;
  readonly jwksUrl: string;
  /** Signs a token with the key (defaults of TokenSpec: alice, room-1, plan pro, 600 s). */
  sign(spec?: TokenSpec): Promise<string>;
  close(): Promise<void>;
}

export async function startTestAuthority(kid: string): Promise<TestAuthority> {
  const key = await createTestKey(kid);
  const jwks = await startJwksServer([key]);
  return { key, jwksUrl: jwks.url, sign: (spec) => signToken(key, spec), close: () => jwks.close() };
}

/** base64url of a JSON value or string. */
function b64(value: unknown): string {
  return Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
}

/** An unsigned `alg: none` token. */
export function unsecuredToken(claims: Record<string, unknown>): string {
  return `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`;
}

/** An HS256 token signed with the given secret (e.g. the public key's bytes: the key-confusion attack). */
export async function hs256Token(
  secret: Uint8Array,
  claims: Record<string, unknown>,
  kid?: string,
): Promise<string> {
  const header = { alg: "HS256", typ: "JWT", ...(kid ? { kid } : {}) };
  return new SignJWT(claims).setProtectedHeader(header).sign(secret);
}

export function standardClaims(room = "room-1", sub = "alice"): Record<string, unknown> {
  const iat = Math.floor(Date.now() / 1000);
  return { sub, room, plan: "pro", iat, exp: iat + 600 };
}
