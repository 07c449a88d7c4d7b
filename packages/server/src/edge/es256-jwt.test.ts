// verifyEs256Jwt against jose's jwtVerify on the same tokens: whatever jose refuses
// is refused with the same error class, whatever it accepts is accepted with the
// same claims (valid, tampered, wrongly signed and oddly shaped tokens).
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import fc from "fast-check";
import { createLocalJWKSet, errors, exportJWK, type JWTVerifyGetKey } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { joseJwtCheck } from "./auth.js";
import { verifyEs256Jwt } from "./es256-jwt.js";

const NOW_S = 1_800_000_000;
const TOLERANCE_S = 5;
const REQUIRED = ["sub", "room", "iat", "exp", "plan"];

const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

/** Signs any header and payload (even ones jose's SignJWT would not make) with P-256. */
function es256(
  key: KeyObject,
  header: unknown,
  payload: unknown,
  encoding: "ieee-p1363" | "der" = "ieee-p1363",
) {
  const input = `${b64(header)}.${b64(payload)}`;
  const sig = sign("sha256", Buffer.from(input), { key, dsaEncoding: encoding });
  return `${input}.${sig.toString("base64url")}`;
}

const claims = (over: Record<string, unknown> = {}) => ({
  sub: "alice",
  room: "room-1",
  plan: "pro",
  iat: NOW_S - 10,
  exp: NOW_S + 600,
  ...over,
});

let p256: KeyObject;
let p384: KeyObject;
let getKey: JWTVerifyGetKey;

beforeAll(async () => {
  const a = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const b = generateKeyPairSync("ec", { namedCurve: "P-384" });
  p256 = a.privateKey;
  p384 = b.privateKey;
  getKey = createLocalJWKSet({
    keys: [
      { ...(await exportJWK(a.publicKey)), kid: "k1", alg: "ES256" },
      // A P-384 key filed as ES256: jose's key set refuses to use it, and so must we.
      { ...(await exportJWK(b.publicKey)), kid: "k384" },
    ],
  });
});

type Outcome = { ok: true; payload: unknown } | { ok: false; error: string };

async function outcome(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, payload: await run() };
  } catch (err) {
    if (!(err instanceof errors.JOSEError)) throw err;
    return { ok: false, error: err.constructor.name };
  }
}

const ours = (token: string) =>
  outcome(() =>
    verifyEs256Jwt(token, getKey, { nowS: NOW_S, toleranceS: TOLERANCE_S, requiredClaims: REQUIRED }),
  );

const jose = (token: string) =>
  outcome(() =>
    joseJwtCheck(token, getKey, { nowS: NOW_S, toleranceS: TOLERANCE_S, requiredClaims: REQUIRED }),
  );

async function same(token: string): Promise<Outcome> {
  const a = await ours(token);
  expect(a).toEqual(await jose(token));
  return a;
}

describe("verifyEs256Jwt agrees with jose's jwtVerify", () => {
  it("accepts a valid token with its claims", async () => {
    const r = await same(es256(p256, { alg: "ES256", kid: "k1" }, claims()));
    expect(r).toMatchObject({ ok: true, payload: { sub: "alice" } });
  });

  it("refuses the algorithm and key tricks", async () => {
    const payload = claims();
    const cases = [
      `${b64({ alg: "none", kid: "k1" })}.${b64(payload)}.`,
      `${b64({ alg: "none", kid: "k1" })}.${b64(payload)}`,
      es256(p256, { alg: "HS256", kid: "k1" }, payload),
      es256(p256, { alg: "ES384", kid: "k1" }, payload),
      es256(p384, { alg: "ES256", kid: "k384" }, payload),
      es256(p256, { alg: "ES256", kid: "unknown" }, payload),
      es256(p256, { alg: "ES256", kid: "k1" }, payload, "der"),
      es256(p256, { alg: "ES256", kid: "k1", crit: ["exp"] }, payload),
    ];
    for (const t of cases) expect(await same(t), t).toMatchObject({ ok: false });
    // An unencoded payload (RFC 7797): jose reads the header and refuses the JWT
    // after the signature (JWTInvalid); we refuse any `crit` before it.
    const b64Off = es256(p256, { alg: "ES256", kid: "k1", crit: ["b64"], b64: false }, payload);
    expect(await ours(b64Off)).toEqual({ ok: false, error: "JOSENotSupported" });
    expect(await jose(b64Off)).toEqual({ ok: false, error: "JWTInvalid" });
  });

  it("refuses a key getter's secret or private key as a wrong key (JOSENotSupported), never as a thrown TypeError", async () => {
    const t = es256(p256, { alg: "ES256", kid: "k1" }, claims());
    const o = { nowS: NOW_S, toleranceS: TOLERANCE_S, requiredClaims: REQUIRED };
    for (const key of [new TextEncoder().encode("a-shared-secret"), p256, "text"]) {
      const odd = (async () => key) as unknown as JWTVerifyGetKey;
      expect(await outcome(() => verifyEs256Jwt(t, odd, o))).toEqual({
        ok: false,
        error: "JOSENotSupported",
      });
    }
  });

  it("refuses bad claims the way jose does (expired, not yet valid, missing, mistyped)", async () => {
    const h = { alg: "ES256", kid: "k1" };
    const cases: [Record<string, unknown>, boolean][] = [
      [claims({ exp: NOW_S - 6 }), false],
      [claims({ exp: NOW_S - 5 }), false],
      [claims({ exp: NOW_S - 4 }), true],
      [claims({ nbf: NOW_S + 6 }), false],
      [claims({ nbf: NOW_S + 5 }), true],
      [claims({ iat: "yesterday" }), false],
      [claims({ exp: "never" }), false],
      [claims({ nbf: null }), false],
      [claims({ sub: undefined }), false],
      [claims({ plan: undefined, exp: NOW_S - 100 }), false],
    ];
    for (const [payload, ok] of cases)
      expect(await same(es256(p256, h, payload)), JSON.stringify(payload)).toMatchObject({ ok });
    // Claims that are not a JSON object.
    for (const payload of [[1, 2], "text", 42])
      expect(await same(es256(p256, h, payload))).toMatchObject({ ok: false });
  });

  it("refuses malformed compact serializations", async () => {
    const t = es256(p256, { alg: "ES256", kid: "k1" }, claims());
    const [h, p, s] = t.split(".") as [string, string, string];
    const sig = Buffer.from(s, "base64url");
    const cases = [
      `${t}.`,
      `${h}.${p}`,
      `${h}..${s}`,
      `.${p}.${s}`,
      `${h}.${p}.${sig.subarray(0, 63).toString("base64url")}`,
      `${h}.${p}.${Buffer.concat([sig, Buffer.alloc(1)]).toString("base64url")}`,
      `${h}.${p}.${s.slice(0, 40)}*${s.slice(41)}`,
      `${h}.${p}!.${s}`,
      `${b64("not json")}.${p}.${s}`,
      ` ${t}`,
    ];
    for (const c of cases) expect(await ours(c), c).toMatchObject({ ok: false });
    // Where jose reads the token at all, it refuses it too.
    for (const c of cases) expect(await jose(c), c).toMatchObject({ ok: false });
  });

  it("refuses every token with one character changed", async () => {
    const t = es256(p256, { alg: "ES256", kid: "k1" }, claims({ info: { name: "Alice" } }));
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=";
    await fc.assert(
      fc.asyncProperty(fc.nat(t.length - 1), fc.constantFrom(...alphabet), async (at, ch) => {
        fc.pre(t[at] !== ch);
        const tampered = t.slice(0, at) + ch + t.slice(at + 1);
        const [a, b] = [await ours(tampered), await jose(tampered)];
        // Both refuse (the error classes can differ: jose's base64url decoder takes
        // what Node's does not), or both accept with the same claims: a changed last
        // character can leave the decoded signature as it was (its low bits are padding).
        expect(a.ok).toBe(b.ok);
        if (a.ok && b.ok) expect(a.payload).toEqual(b.payload);
      }),
      { numRuns: 300 },
    );
  });
});
