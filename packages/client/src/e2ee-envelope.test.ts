import { type PresenceData, RESERVED_KEYS } from "@collabblocks/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  InvalidSealedValue,
  NONCE_BYTES,
  openState,
  sealedLength,
  sealState,
  TAG_BYTES,
} from "./e2ee-envelope.js";
import { readHeader, writeHeader } from "./sealed-header.js";

const newKey = () =>
  globalThis.crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);

const PLACE = { roomId: "doc-1", connectionId: "aliceAAAAAAAAAAAAAAAAA" };
const HEAD = { keyId: 7, epoch: 3, counter: 41 };

async function open(key: CryptoKey, bytes: Uint8Array, place = PLACE): Promise<PresenceData> {
  const parsed = readHeader(bytes);
  if (parsed === null) throw new Error("unreadable header");
  return openState(key, place, parsed, bytes as Uint8Array<ArrayBuffer>);
}

/** Valid presence states (PROTOCOL.md §6): JSON-normalised (-0 becomes 0, as on the wire). */
const customKey = fc
  .string({ minLength: 1, maxLength: 12 })
  .filter((k) => !RESERVED_KEYS.has(k) && k !== "~" && !["cursor", "status", "avatar", "meta"].includes(k));
const presence: fc.Arbitrary<PresenceData> = fc
  .record(
    {
      cursor: fc.oneof(
        fc.constant(null),
        fc.record({
          x: fc.double({ min: 0, max: 1, noNaN: true }),
          y: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
      ),
      status: fc.string({ maxLength: 64 }),
      meta: fc.dictionary(customKey, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
      custom: fc.dictionary(customKey, fc.jsonValue({ maxDepth: 3 }), { minKeys: 0, maxKeys: 3 }),
    },
    { requiredKeys: [] },
  )
  .map(({ custom, ...known }) => JSON.parse(JSON.stringify({ ...custom, ...known })) as PresenceData)
  .filter((state) => Object.keys(state).length > 0);

describe("sealed states", () => {
  it("round-trip any presence, with a fresh nonce each time and no plaintext in the bytes", async () => {
    const key = await newKey();
    await fc.assert(
      fc.asyncProperty(presence, async (state) => {
        const a = await sealState(key, PLACE, HEAD, state);
        const b = await sealState(key, PLACE, HEAD, state);
        expect(a).not.toEqual(b);
        expect(await open(key, a)).toEqual(state);
        expect(a.length).toBe(sealedLength({ ...HEAD, fields: Object.keys(state) }, state));
      }),
      { numRuns: 100 },
    );
    const secret = await sealState(key, PLACE, HEAD, { status: "héllo-marker" });
    expect(Buffer.from(secret).toString("latin1")).not.toContain("marker");
  });

  it("adds header + 12 + 16 bytes to the values: a sealed cursor is 36 bytes more than its value", async () => {
    const state = { cursor: { x: 523 / 1280, y: 0.25 } };
    const bytes = await sealState(await newKey(), PLACE, { keyId: 0, epoch: 1, counter: 1 }, state);
    // header: version, key id, epoch, counter, 1 field (count + index) = 6 bytes; values [[x, y]] = 20
    expect(bytes.length).toBe(6 + NONCE_BYTES + 20 + TAG_BYTES);
  });

  it("refuse any single flipped bit: header, nonce, ciphertext or tag", async () => {
    const key = await newKey();
    await fc.assert(
      fc.asyncProperty(presence, fc.nat(), fc.nat({ max: 7 }), async (state, at, bit) => {
        const bytes = (await sealState(key, PLACE, HEAD, state)).slice();
        const i = at % bytes.length;
        bytes[i] = (bytes[i] as number) ^ (1 << bit);
        await expect(open(key, bytes)).rejects.toThrow();
      }),
      { numRuns: 100 },
    );
  });

  it("refuse a state moved to another connection (cross-user) or room, or under another key", async () => {
    const key = await newKey();
    const bytes = await sealState(key, PLACE, HEAD, { status: "editing" });
    await expect(open(key, bytes, { ...PLACE, connectionId: "bobBBBBBBBBBBBBBBBBBBB" })).rejects.toThrow();
    await expect(open(key, bytes, { ...PLACE, roomId: "doc-2" })).rejects.toThrow();
    await expect(open(await newKey(), bytes)).rejects.toThrow();
    await expect(open(key, bytes)).resolves.toEqual({ status: "editing" });
  });

  it("refuse swapped fields and a relabelled (replayed-as-newer) counter or epoch", async () => {
    const key = await newKey();
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 20 }),
        fc.string({ maxLength: 20 }),
        fc.nat({ max: 1e6 }),
        async (a, b, later) => {
          const bytes = await sealState(key, PLACE, HEAD, { status: a, note: b });
          const parsed = readHeader(bytes)!;
          const body = bytes.subarray(parsed.length);
          const relabel = (change: object) => {
            const head = writeHeader({ ...parsed, ...change });
            return Uint8Array.from([...head, ...body]);
          };
          await expect(open(key, relabel({ fields: ["note", "status"] }))).rejects.toThrow();
          await expect(open(key, relabel({ counter: HEAD.counter + 1 + later }))).rejects.toThrow();
          await expect(open(key, relabel({ epoch: HEAD.epoch + 1 + later }))).rejects.toThrow();
          await expect(open(key, relabel({}))).resolves.toEqual({ status: a, note: b });
        },
      ),
      { numRuns: 30 },
    );
  });

  it("refuse, as InvalidSealedValue, what a key holder sealed that PROTOCOL.md §6 refuses", async () => {
    const key = await newKey();
    const bytes = await sealState(key, PLACE, HEAD, { status: "x".repeat(65) });
    await expect(open(key, bytes)).rejects.toBeInstanceOf(InvalidSealedValue);
  });
});

describe("sealed headers", () => {
  it("round-trip key id, epoch, counter and fields, known fields in one byte", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 0, max: 2 ** 48 }),
        fc.uniqueArray(fc.oneof(fc.constantFrom("cursor", "status", "avatar", "meta"), customKey), {
          maxLength: 6,
        }),
        (keyId, epoch, counter, fields) => {
          const bytes = writeHeader({ keyId, epoch, counter, fields });
          expect(readHeader(Uint8Array.from([...bytes, 1, 2, 3]))).toEqual({
            keyId,
            epoch,
            counter,
            fields,
            length: bytes.length,
          });
        },
      ),
    );
    expect([...writeHeader({ keyId: 0, epoch: 1, counter: 300, fields: ["cursor", "ab"] })]).toEqual([
      2, 0, 1, 0xac, 0x02, 2, 0, 6, 0x61, 0x62,
    ]);
  });

  it("read only version-2 headers that are whole", () => {
    const bytes = writeHeader({ keyId: 0, epoch: 1, counter: 1, fields: ["status", "note"] });
    expect(readHeader(bytes)).not.toBeNull();
    expect(readHeader(Uint8Array.from([1, ...bytes.subarray(1)]))).toBeNull();
    for (let cut = 0; cut < bytes.length; cut++)
      expect(readHeader(bytes.subarray(0, cut)), `cut ${cut}`).toBeNull();
    expect(readHeader(Uint8Array.from([2, 0, 1, 1, 2, 1, 1]))).toBeNull(); // status twice
    expect(readHeader(Uint8Array.from([2, 0, 1, 1, 1, 6, 0xff, 0xfe]))).toBeNull(); // not UTF-8
    expect(readHeader(Uint8Array.from([2, 0, 1, 1, 1, 5, 0x7e]))).toBeNull(); // "~"
  });
});
