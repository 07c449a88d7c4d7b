import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  envelopeLength,
  fromBase64Url,
  openEnvelope,
  parseEnvelope,
  plaintextBytes,
  type SealContext,
  sealValue,
  toBase64Url,
} from "./e2ee-envelope.js";

const newKey = () =>
  globalThis.crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);

const CTX: SealContext = {
  roomId: "doc-1",
  connectionId: "aliceAAAAAAAAAAAAAAAAA",
  epoch: 3,
  field: "status",
  counter: 41,
};

async function open(key: CryptoKey, envelope: string, ctx: Partial<SealContext> = {}): Promise<unknown> {
  const env = parseEnvelope(envelope);
  if (env === null) throw new Error("unparseable");
  const text = await openEnvelope(key, env, { ...CTX, ...ctx, epoch: env.epoch, counter: env.counter });
  return JSON.parse(text);
}

describe("base64url", () => {
  it("round-trips any bytes and refuses non-canonical text", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = toBase64Url(bytes);
        expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(fromBase64Url(text)).toEqual(bytes);
      }),
    );
    expect(fromBase64Url("AB")).toBeNull(); // "AB" has non-zero trailing bits: "AA" is canonical
    expect(fromBase64Url("AA==")).toBeNull();
    expect(fromBase64Url("A+/A")).toBeNull();
  });
});

describe("envelopes", () => {
  it("seal then open gives the value back, with a fresh nonce each time", async () => {
    const key = await newKey();
    const a = await sealValue(key, "k1", CTX, { x: 0.25, note: "héllo" });
    const b = await sealValue(key, "k1", CTX, { x: 0.25, note: "héllo" });
    expect(a).not.toBe(b);
    expect(a.startsWith("e1.k1.3.15.")).toBe(true); // epoch 3, counter 41 = "15" in base36
    expect(await open(key, a)).toEqual({ x: 0.25, note: "héllo" });
    expect(a).not.toContain("llo");
  });

  it("refuses a flipped byte anywhere in the payload", async () => {
    const key = await newKey();
    const envelope = await sealValue(key, "k1", CTX, "editing");
    const env = parseEnvelope(envelope)!;
    for (let i = 0; i < env.bytes.length; i++) {
      const bytes = env.bytes.slice();
      bytes[i] = (bytes[i] as number) ^ 1;
      await expect(openEnvelope(key, { ...env, bytes }, CTX)).rejects.toThrow();
    }
  });

  it("refuses a value moved to another room, connection, epoch, field or counter", async () => {
    const key = await newKey();
    const envelope = await sealValue(key, "k1", CTX, "editing");
    const env = parseEnvelope(envelope)!;
    const moved: Partial<SealContext>[] = [
      { roomId: "doc-2" },
      { connectionId: "bobBBBBBBBBBBBBBBBBBBB" },
      { epoch: 4 },
      { field: "meta" },
      { counter: 42 },
    ];
    for (const change of moved) {
      await expect(openEnvelope(key, env, { ...CTX, ...change })).rejects.toThrow();
    }
    await expect(openEnvelope(key, { ...env, keyId: "k2" }, CTX)).rejects.toThrow();
    await expect(openEnvelope(key, env, CTX)).resolves.toBe('"editing"');
  });

  it("refuses a wrong key", async () => {
    const envelope = await sealValue(await newKey(), "k1", CTX, "editing");
    await expect(open(await newKey(), envelope)).rejects.toThrow();
  });

  it("parses only well-formed e1 envelopes", async () => {
    const envelope = await sealValue(await newKey(), "k1", CTX, 1);
    const [v, id, epoch, counter, payload] = envelope.split(".");
    expect(parseEnvelope(envelope)).not.toBeNull();
    for (const bad of [
      `e2.${id}.${epoch}.${counter}.${payload}`,
      `${v}.k.1.${epoch}.${counter}.${payload}`,
      `${v}.${id}.0${epoch}.${counter}.${payload}`,
      `${v}.${id}.${epoch}.-1.${payload}`,
      `${v}.${id}.${epoch}.${counter}.${payload}=`,
      `${v}.${id}.${epoch}.${counter}.AAAA`,
      `${v}.${"k".repeat(33)}.${epoch}.${counter}.${payload}`,
      "",
    ]) {
      expect(parseEnvelope(bad), bad).toBeNull();
    }
  });

  it("predicts the envelope length exactly", async () => {
    const key = await newKey();
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue({ maxDepth: 3 }),
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 0, max: 1e9 }),
        async (value, epoch, counter) => {
          const json = JSON.parse(JSON.stringify(value));
          const envelope = await sealValue(key, "key-7", { ...CTX, epoch, counter }, json);
          expect(envelope.length).toBe(envelopeLength(plaintextBytes(json), 5, epoch, counter));
        },
      ),
      { numRuns: 50 },
    );
  });
});
