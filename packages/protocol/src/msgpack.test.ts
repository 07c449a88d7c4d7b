// The compact MsgPack (msgpack-pack.ts, msgpack-unpack.ts) against msgpackr as the
// oracle: the same bytes for every wire value, the same decoded values for every
// encoding msgpackr produces, and refusals — never a hang, a huge allocation or a
// different answer — for malformed input.
import fc from "fast-check";
import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import { decodeServerMessage, encode } from "./codec.js";
import { compactMsgpack, msgpack, useMsgpack } from "./msgpack.js";
import { msgpackrBackend } from "./msgpack-msgpackr.js";
import { pack, packedSize } from "./msgpack-pack.js";
import { unpackMultiple } from "./msgpack-unpack.js";
import { serverMessage } from "./test-arbitraries.js";

const oracle = msgpackrBackend;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Well-formed text only: a lone surrogate is the one place the bytes may differ (same length). */
const text = fc.string({ unit: "grapheme", maxLength: 300 });
const number = fc.oneof(
  fc.integer(),
  fc.integer({ min: -0x8000_0000, max: 0xffff_ffff }),
  fc.constantFrom(
    0,
    -0,
    0x7f,
    0x80,
    0xff,
    0x100,
    0xffff,
    0x10000,
    -0x20,
    -0x21,
    -0x80,
    -0x81,
    -0x8000,
    -0x8001,
  ),
  fc.double(),
  fc.maxSafeInteger(),
);
const wireValue = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    number,
    text,
    fc.uint8Array({ maxLength: 300 }),
    fc.array(tie("value"), { maxLength: 20 }),
    fc.dictionary(text, tie("value"), { maxKeys: 20 }),
    fc
      .array(fc.tuple(fc.oneof(text, fc.integer()), tie("value")), { maxLength: 20 })
      .map((kv) => new Map(kv)),
  ),
})).value;

describe("compact MsgPack against msgpackr", () => {
  it("writes the same bytes for every wire value", () => {
    fc.assert(
      fc.property(wireValue, (value) => {
        const ours = pack(value);
        expect(hex(ours)).toBe(hex(oracle.pack(value)));
        expect(packedSize(value)).toBe(ours.length);
      }),
      { numRuns: 2000 },
    );
  });

  it("writes strings of any UTF-16 (lone surrogates included) at msgpackr's length", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (s) => {
        expect(pack(s).length).toBe(oracle.pack(s).length);
      }),
    );
  });

  it("writes long values (16- and 32-bit headers) the same", () => {
    const values = [
      "x".repeat(0xffff),
      "é".repeat(0x8000),
      new Uint8Array(0x10000),
      Array.from({ length: 0x10000 }, (_, i) => i),
      new Map(Array.from({ length: 20 }, (_, i) => [i, i])),
    ];
    for (const value of values) expect(hex(pack(value))).toBe(hex(oracle.pack(value)));
  });

  it("decodes what msgpackr writes to what msgpackr decodes", () => {
    fc.assert(
      fc.property(wireValue, (value) => {
        const bytes = oracle.pack(value);
        expect(unpackMultiple(bytes)).toEqual(oracle.unpackMultiple(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it("decodes 64-bit and 32-bit float encodings as msgpackr does", () => {
    const wide = new Packr({ useRecords: false, useFloat32: 1 });
    for (const v of [
      2 ** 40,
      -(2 ** 40),
      Number.MAX_SAFE_INTEGER,
      2n ** 63n - 1n,
      -(2n ** 63n),
      2n ** 64n - 1n,
      1.5,
    ]) {
      const bytes = wide.pack(v);
      expect(unpackMultiple(bytes)).toEqual(oracle.unpackMultiple(bytes));
    }
  });

  it("refuses truncated data, extension types and 0xc1", () => {
    fc.assert(
      fc.property(wireValue, fc.nat(), (value, cut) => {
        const bytes = pack(value);
        if (bytes.length < 2) return;
        const end = cut % bytes.length;
        expect(() => unpackMultiple(bytes.subarray(0, end === 0 ? 1 : end))).toThrow(RangeError);
      }),
    );
    for (const frame of [[0xc1], [0xd4, 0, 0], [0xd6, 0xff, 0, 0, 0, 0], [0xc7, 1, 5, 0]])
      expect(() => unpackMultiple(Uint8Array.from(frame))).toThrow(/not accepted/);
  });

  it("refuses lengths beyond the data before allocating them", () => {
    // array32 / map32 / str32 / bin32 of 2^32 - 1 in a 5-byte frame.
    for (const code of [0xdd, 0xdf, 0xdb, 0xc6])
      expect(() => unpackMultiple(Uint8Array.from([code, 0xff, 0xff, 0xff, 0xff]))).toThrow(RangeError);
  });

  it("refuses nesting deeper than any message, without exhausting the stack", () => {
    const deep = new Uint8Array(100_000).fill(0x91);
    expect(() => unpackMultiple(deep)).toThrow(/nested deeper/);
  });

  it("keeps __proto__ an ordinary map key", () => {
    const [decoded] = unpackMultiple(Uint8Array.from([0x81, 0xa9, ...Buffer.from("__proto__"), 0x01]));
    expect(decoded).toEqual(new Map([["__proto__", 1]]));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("returns bytes the caller owns: a later encode does not change them", () => {
    const first = pack(["a", 1]);
    const copy = hex(first);
    pack(["b".repeat(5000), 2]);
    expect(hex(first)).toBe(copy);
  });
});

describe("the codec on either implementation", () => {
  it("encodes every server message to the same bytes and decodes it the same", () => {
    const before = msgpack();
    try {
      fc.assert(
        fc.property(serverMessage, (msg) => {
          useMsgpack(oracle);
          const bytes = encode(msg);
          const viaOracle = decodeServerMessage(bytes);
          useMsgpack(compactMsgpack);
          expect(hex(encode(msg))).toBe(hex(bytes));
          expect(decodeServerMessage(bytes)).toEqual(viaOracle);
        }),
        { numRuns: 500 },
      );
    } finally {
      useMsgpack(before);
    }
  });
});
