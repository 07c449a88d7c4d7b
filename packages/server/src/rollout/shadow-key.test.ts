import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, importJWK, jwtVerify } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { loadShadowKey, SHADOW_TOKEN_LIFETIME_S, signShadowToken } from "./shadow-key.js";

const dir = mkdtempSync(join(tmpdir(), "cb-shadow-key-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const ec = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const claims = { sub: "alice", room: "shadow-r", plan: "pro", org: "org_x", info: { name: "A" } };

describe("loadShadowKey", () => {
  it("reads a PKCS#8 PEM key with the kid from --shadow-kid", async () => {
    const path = file("k.pem", ec.privateKey.export({ type: "pkcs8", format: "pem" }) as string);
    const key = loadShadowKey(path, "staging-1");
    expect(key.kid).toBe("staging-1");
    const { token, exp } = await signShadowToken(key, claims, 1_700_000_000);
    const publicKey = await importJWK({ ...(await exportJWK(ec.publicKey)), alg: "ES256" }, "ES256");
    const { payload, protectedHeader } = await jwtVerify(token, publicKey, {
      currentDate: new Date(1_700_000_000_000),
    });
    expect(protectedHeader).toMatchObject({ alg: "ES256", kid: "staging-1" });
    expect(payload).toMatchObject({ ...claims, iat: 1_700_000_000, exp });
    expect(exp - 1_700_000_000).toBe(SHADOW_TOKEN_LIFETIME_S);
  });

  it("reads a SEC1 PEM key and a JWK file, taking the JWK's own kid", () => {
    const sec1 = file("k-sec1.pem", ec.privateKey.export({ type: "sec1", format: "pem" }) as string);
    expect(loadShadowKey(sec1, "k").kid).toBe("k");
    const jwk = file(
      "k.jwk",
      JSON.stringify({ ...ec.privateKey.export({ format: "jwk" }), kid: "from-jwk" }),
    );
    expect(loadShadowKey(jwk, undefined).kid).toBe("from-jwk");
    expect(loadShadowKey(jwk, "flag-wins").kid).toBe("flag-wins");
  });

  it("leaves out org and info when the production token had none", async () => {
    const key = loadShadowKey(
      file("k2.pem", ec.privateKey.export({ type: "pkcs8", format: "pem" }) as string),
      "k",
    );
    const { token } = await signShadowToken(
      key,
      { ...claims, org: undefined, info: undefined },
      Date.now() / 1000,
    );
    const payload = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as object;
    expect(Object.keys(payload).sort()).toEqual(["exp", "iat", "plan", "room", "sub"]);
  });

  it.each([
    ["a missing file", () => join(dir, "nope.pem"), "k", /cannot read it \(ENOENT\)/],
    ["garbage", () => file("bad.pem", "not a key"), "k", /not a PEM or JWK private key/],
    [
      "an RSA key",
      () =>
        file(
          "rsa.pem",
          generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
            type: "pkcs8",
            format: "pem",
          }) as string,
        ),
      "k",
      /must be an ES256/,
    ],
    [
      "a PEM key without --shadow-kid",
      () => file("nokid.pem", ec.privateKey.export({ type: "pkcs8", format: "pem" }) as string),
      undefined,
      /--shadow-kid is required/,
    ],
  ])("refuses %s with one line that holds no key material", (_what, path, kid, pattern) => {
    let message = "";
    try {
      loadShadowKey(path(), kid);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(pattern);
    expect(message).not.toContain("\n");
    expect(message).not.toContain("BEGIN");
  });
});
