import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  createTestKey,
  hs256Token,
  type JwksServer,
  signToken,
  standardClaims,
  startJwksServer,
  type TestKey,
  unsecuredToken,
} from "../../../../test-support/jwks-server.js";
import { createTokenVerifier, joseJwtCheck } from "./auth.js";
import { verifyEs256Jwt } from "./es256-jwt.js";

let key: TestKey;
let jwks: JwksServer;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  key = await createTestKey("k1");
  jwks = await startJwksServer([key]);
});
afterAll(() => jwks.close());

// Every rule holds with either signature check: jose's (the Durable Object edge's)
// and the Node edge's on the event loop (es256-jwt.ts).
describe.each([
  ["jose", joseJwtCheck],
  ["node:crypto", verifyEs256Jwt],
] as const)("token verification (%s)", (_name, verifyJwt) => {
  const verifier = () => createTokenVerifier({ keys: { jwksUrl: jwks.url }, verifyJwt });

  it("accepts a valid ES256 token and returns its claims", async () => {
    const token = await signToken(key, { info: { name: "Alice" }, org: "acme" });
    const r = await verifier().verify(token, "room-1");
    expect(r).toMatchObject({ ok: true, claims: { sub: "alice", room: "room-1", plan: "pro", org: "acme" } });
  });

  it("refuses alg none", async () => {
    expect(await verifier().verify(unsecuredToken(standardClaims()), "room-1")).toMatchObject({
      ok: false,
      code: "INVALID_TOKEN",
    });
  });

  it("refuses HS256, also when signed with the public key as the secret", async () => {
    const secret = new TextEncoder().encode(JSON.stringify(key.publicJwk));
    const t1 = await hs256Token(
      new TextEncoder().encode("a-shared-secret-of-32-bytes-long"),
      standardClaims(),
    );
    const t2 = await hs256Token(secret, standardClaims(), "k1");
    for (const t of [t1, t2]) {
      expect(await verifier().verify(t, "room-1")).toMatchObject({ ok: false, code: "INVALID_TOKEN" });
    }
  });

  it("refuses an expired token with TOKEN_EXPIRED, allowing only 5 s of leeway", async () => {
    const expired = await signToken(key, { iat: now() - 200, exp: now() - 10 });
    expect(await verifier().verify(expired, "room-1")).toMatchObject({ ok: false, code: "TOKEN_EXPIRED" });
    const withinLeeway = await signToken(key, { iat: now() - 200, exp: now() - 3 });
    expect(await verifier().verify(withinLeeway, "room-1")).toMatchObject({ ok: true });
  });

  it("counts an iat in the future toward the 900 s lifetime", async () => {
    const stretched = await signToken(key, { iat: now() + 4, exp: now() + 904 });
    expect(await verifier().verify(stretched, "room-1")).toMatchObject({
      ok: false,
      code: "TOKEN_TOO_LONG_LIVED",
    });
    const fine = await signToken(key, { iat: now() + 4, exp: now() + 899 });
    expect(await verifier().verify(fine, "room-1")).toMatchObject({ ok: true });
  });

  it("refuses a sub with control or invisible characters", async () => {
    for (const sub of ["ann\nadmin", "ann\u0000", "ann\u200b", "ann\u2028"]) {
      const t = await signToken(key, { sub });
      expect(await verifier().verify(t, "room-1"), JSON.stringify(sub)).toMatchObject({
        ok: false,
        code: "INVALID_TOKEN",
      });
    }
    expect(await verifier().verify(await signToken(key, { sub: "José Ñúñez" }), "room-1")).toMatchObject({
      ok: true,
    });
  });

  it("refuses a token living longer than 900 s", async () => {
    const t = await signToken(key, { exp: now() + 1000 });
    expect(await verifier().verify(t, "room-1")).toMatchObject({ ok: false, code: "TOKEN_TOO_LONG_LIVED" });
    const old = await signToken(key, { iat: now() - 3000, exp: now() + 800 }); // measured from now, not iat
    expect(await verifier().verify(old, "room-1")).toMatchObject({ ok: true });
  });

  it.each(["sub", "room", "iat", "exp", "plan"])("refuses a token without %s", async (claim) => {
    const t = await signToken(key, { omit: [claim] });
    expect(await verifier().verify(t, "room-1")).toMatchObject({ ok: false, code: "INVALID_TOKEN" });
  });

  it("refuses an iat in the future beyond the leeway", async () => {
    const t = await signToken(key, { iat: now() + 120, exp: now() + 600 });
    expect(await verifier().verify(t, "room-1")).toMatchObject({ ok: false, code: "INVALID_TOKEN" });
  });

  it("refuses a token for another room with ROOM_MISMATCH", async () => {
    const t = await signToken(key, { room: "other" });
    expect(await verifier().verify(t, "room-1")).toMatchObject({ ok: false, code: "ROOM_MISMATCH" });
  });

  it("refuses garbage and a token signed by an unknown key", async () => {
    const stranger = await createTestKey("k-unknown");
    for (const t of ["garbage", "a.b.c", "", await signToken(stranger)]) {
      expect(await verifier().verify(t, "room-1")).toMatchObject({ ok: false, code: "INVALID_TOKEN" });
    }
  });

  it("refuses a token signed by a stranger's key under a known kid", async () => {
    const impostor = { ...(await createTestKey("k1")) };
    expect(await verifier().verify(await signToken(impostor), "room-1")).toMatchObject({
      ok: false,
      code: "INVALID_TOKEN",
    });
  });

  it("refetches the JWKS on an unknown kid only once the 30 s cooldown has passed", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    try {
      const v = createTokenVerifier({ keys: { jwksUrl: jwks.url }, verifyJwt });
      expect(await v.verify(await signToken(key), "room-1")).toMatchObject({ ok: true });
      const rotated = await createTestKey("k2");
      jwks.setKeys([key, rotated]);
      const before = jwks.fetches;
      // Within the cooldown an unknown kid does not hit the JWKS endpoint again…
      expect(await v.verify(await signToken(rotated), "room-1")).toMatchObject({
        ok: false,
        code: "INVALID_TOKEN",
      });
      expect(jwks.fetches).toBe(before);
      // …after it, one refetch finds the new key.
      vi.setSystemTime(Date.now() + 31_000);
      expect(await v.verify(await signToken(rotated), "room-1")).toMatchObject({ ok: true });
      expect(jwks.fetches).toBe(before + 1);
      // Known keys are served from the cache (10 min) without fetching.
      expect(await v.verify(await signToken(key), "room-1")).toMatchObject({ ok: true });
      expect(jwks.fetches).toBe(before + 1);
    } finally {
      vi.useRealTimers();
      jwks.setKeys([key]);
    }
  });

  it("answers UNAVAILABLE when the JWKS cannot be fetched", async () => {
    const v = createTokenVerifier({ keys: { jwksUrl: "http://127.0.0.1:1/jwks.json" }, verifyJwt });
    expect(await v.verify(await signToken(key), "room-1")).toMatchObject({ ok: false, code: "UNAVAILABLE" });
  });

  it("refuses as UNAVAILABLE, not as an unreachable JWKS, when the policy gate throws, and reports the error", async () => {
    const seen: unknown[] = [];
    const v = createTokenVerifier({
      keys: { jwksUrl: jwks.url },
      verifyJwt,
      authorize: () => {
        throw new TypeError("bug in the app's gate");
      },
      onError: (err) => seen.push(err),
    });
    expect(await v.verify(await signToken(key), "room-1")).toEqual({
      ok: false,
      code: "UNAVAILABLE",
      message: "the server could not check the token's claims",
    });
    expect(seen).toEqual([new TypeError("bug in the app's gate")]);
  });

  it("applies an extra policy gate", async () => {
    const v = createTokenVerifier({
      keys: { jwksUrl: jwks.url },
      verifyJwt,
      authorize: (c) => (c.plan === "free" ? "PLAN_NOT_ENABLED" : undefined),
    });
    expect(await v.verify(await signToken(key, { plan: "free" }), "room-1")).toMatchObject({
      ok: false,
      code: "PLAN_NOT_ENABLED",
    });
  });
});
