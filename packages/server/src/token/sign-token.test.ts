import { createLocalJWKSet, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { createTokenSigner } from "./sign-token.js";
import { generateSigningKey } from "./signing-key.js";

describe("createTokenSigner", () => {
  it("signs ES256 tokens with the claims the server checks, verifiable with the published JWKS", async () => {
    const key = await generateSigningKey("k1");
    expect(key.jwks.keys[0]).not.toHaveProperty("d");
    const signer = await createTokenSigner(key.privateJwk, () => 1_700_000_000_000);
    const token = await signer.sign({
      sub: "alice",
      room: "doc-1",
      plan: "pro",
      info: { name: "A" },
      org: "acme",
    });
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(key.jwks), {
      currentDate: new Date(1_700_000_000_000),
    });
    expect(protectedHeader).toMatchObject({ alg: "ES256", kid: "k1" });
    expect(payload).toMatchObject({
      sub: "alice",
      room: "doc-1",
      plan: "pro",
      info: { name: "A" },
      org: "acme",
    });
    expect(payload.exp! - payload.iat!).toBe(600);
  });

  it("refuses claims the server would refuse, before signing", async () => {
    const signer = await createTokenSigner((await generateSigningKey()).privateJwk);
    const base = { sub: "alice", room: "doc-1", plan: "pro" };
    await expect(signer.sign({ ...base, sub: "" })).rejects.toThrow(TypeError);
    await expect(signer.sign({ ...base, sub: "evil\u202e" })).rejects.toThrow(TypeError);
    await expect(signer.sign({ ...base, room: "a/b" })).rejects.toThrow(TypeError);
    await expect(signer.sign({ ...base, plan: "" })).rejects.toThrow(TypeError);
    await expect(signer.sign({ ...base, ttlSeconds: 901 })).rejects.toThrow(RangeError);
    await expect(signer.sign({ ...base, ttlSeconds: 0 })).rejects.toThrow(RangeError);
  });

  it("needs a private P-256 JWK with a kid", async () => {
    const key = await generateSigningKey();
    await expect(createTokenSigner(key.jwks.keys[0]!)).rejects.toThrow(TypeError);
    const { kid: _kid, ...noKid } = key.privateJwk;
    await expect(createTokenSigner(noKid)).rejects.toThrow(/kid/);
  });
});
