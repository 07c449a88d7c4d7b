import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  batchFrameFromEntries,
  decodeAny,
  decodeBatchEntries,
  decodeClientMessage,
  decodePeers,
  decodeServerMessage,
  encode,
  encodeBatchEntries,
  encodeBatchEntry,
  encodePeers,
} from "./codec.js";
import { ProtocolError } from "./errors.js";
import { MessageType } from "./messages.js";
import {
  batchEntry,
  clientBatchEntry,
  clientMessage,
  peerState,
  sameValue,
  serverMessage,
} from "./test-arbitraries.js";

function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
}

function expectMalformed(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe("MALFORMED_MESSAGE");
    return;
  }
  throw new Error("expected MALFORMED_MESSAGE");
}

describe("codec", () => {
  it("round-trips every client message exactly, float64 included", () => {
    fc.assert(
      fc.property(clientMessage, (msg) => {
        expect(sameValue(decodeClientMessage(encode(msg)), msg)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("round-trips every server message exactly, float64 included", () => {
    fc.assert(
      fc.property(serverMessage, (msg) => {
        expect(sameValue(decodeServerMessage(encode(msg)), msg)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("encodes entry-list payloads as the same bytes they have inside BATCH and SNAPSHOT_CHUNK", () => {
    fc.assert(
      fc.property(
        fc.array(batchEntry, { maxLength: 4 }),
        fc.array(peerState, { maxLength: 4 }),
        (entries, peers) => {
          const batch = Buffer.from(encode({ type: MessageType.BATCH, entries })).toString("hex");
          expect(batch.endsWith(Buffer.from(encodeBatchEntries(entries)).toString("hex"))).toBe(true);
          const chunk = Buffer.from(encode({ type: MessageType.SNAPSHOT_CHUNK, syncId: 0, entries: peers }));
          expect(chunk.toString("hex").endsWith(Buffer.from(encodePeers(peers)).toString("hex"))).toBe(true);
          expect(sameValue(decodeBatchEntries(encodeBatchEntries(entries)), entries)).toBe(true);
          expect(sameValue(decodePeers(encodePeers(peers)), peers)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
    expect(() => decodeBatchEntries(Uint8Array.of(0x91, 0x91, 0x09))).toThrow(ProtocolError);
    expect(() => decodePeers(Uint8Array.of(0x81, 0x01, 0x02))).toThrow(ProtocolError);
  });

  it("sends a realistic cursor update in under half the bytes of JSON", () => {
    const set = { cursor: { x: 523 / 1280, y: 235 / 960 } };
    const bytes = encode({ type: MessageType.UPDATE_PRESENCE, set, del: [] });
    const json = JSON.stringify({ type: "update", set, del: [] });
    expect(bytes.length).toBe(24);
    expect(bytes.length / json.length).toBeLessThan(0.5);
  });

  it("encodes keys named like Object.prototype members as ordinary keys", () => {
    for (const key of ["toString", "constructor", "hasOwnProperty", "valueOf", "__proto__"]) {
      const set = JSON.parse(`{"${key}": null}`);
      const msg = decodeClientMessage(encode({ type: MessageType.UPDATE_PRESENCE, set, del: [] }));
      expect(sameValue(msg, { type: MessageType.UPDATE_PRESENCE, set, del: [] }), key).toBe(true);
    }
  });

  it("keeps __proto__ and constructor as ordinary keys without polluting prototypes", () => {
    // [100, {"meta": {"__proto__": {"polluted": 1}}}, []] with meta as field index 3
    const msg = decodeClientMessage(hex("93 64 81 03 81 a9 5f5f70726f746f5f5f 81 a8 706f6c6c75746564 01 90"));
    expect(msg.type).toBe(MessageType.UPDATE_PRESENCE);
    const meta = (msg as unknown as { set: { meta: Record<string, unknown> } }).set.meta;
    expect(Object.keys(meta)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(meta)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("refuses extension types such as timestamps and undefined", () => {
    expectMalformed(() => decodeClientMessage(hex("93 64 81 a1 61 d6ff00000001 90"))); // timestamp
    expectMalformed(() => decodeClientMessage(hex("93 64 81 a1 61 d40000 90"))); // undefined
    expectMalformed(() => decodeClientMessage(hex("93 64 81 a1 61 c4 01 00 90"))); // bin
  });

  it("refuses truncated frames, trailing bytes, unknown types and wrong directions", () => {
    expectMalformed(() => decodeClientMessage(hex("93 64")));
    expectMalformed(() => decodeClientMessage(hex("92 0a 01 00")));
    expectMalformed(() => decodeClientMessage(hex("91 cd 03e7")));
    expectMalformed(() => decodeClientMessage(encode({ type: MessageType.PONG, t: 1, serverTime: 2 })));
    expectMalformed(() => decodeServerMessage(encode({ type: MessageType.PING, t: 1 })));
    expectMalformed(() => decodeClientMessage(new Uint8Array()));
  });

  it("refuses non-finite numbers, non-string map keys and over-deep values", () => {
    expectMalformed(() => decodeClientMessage(hex("92 0a cb 7ff8000000000000"))); // NaN ping
    expectMalformed(() => decodeClientMessage(hex("93 64 81 a1 61 81 01 02 90"))); // int key inside a value
    const deep = `93 64 81 a1 61 ${"91".repeat(40)} 01 90`;
    expectMalformed(() => decodeClientMessage(hex(deep)));
  });

  it("refuses frames over the size bound before decoding them", () => {
    const big = encode({ type: MessageType.AUTH, token: "x".repeat(5000) });
    expectMalformed(() => decodeClientMessage(big, 4096));
  });

  it("refuses an error frame whose fatal flag contradicts the error table", () => {
    const bytes = encode({ type: MessageType.ERROR, code: "RATE_LIMITED", message: "m", fatal: false });
    const flipped = Uint8Array.from(bytes);
    flipped[flipped.length - 1] = 0xc3; // true
    expectMalformed(() => decodeServerMessage(flipped));
  });

  it("only ever returns a valid message or throws MALFORMED_MESSAGE on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeAny(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
          expect((err as ProtocolError).code).toBe("MALFORMED_MESSAGE");
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("only ever returns a re-encodable message or throws MALFORMED_MESSAGE on mutated valid frames", () => {
    const mutated = fc.oneof(clientMessage, serverMessage).chain((msg) => {
      const bytes = encode(msg);
      return fc
        .array(fc.tuple(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        })
        .chain((edits) =>
          fc.nat({ max: bytes.length }).map((cut) => {
            const out = Uint8Array.from(bytes);
            for (const [i, b] of edits) out[i] = b;
            return out.subarray(0, Math.max(1, cut));
          }),
        );
    });
    fc.assert(
      fc.property(mutated, (bytes) => {
        let msg: ReturnType<typeof decodeAny>;
        try {
          msg = decodeAny(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
          expect((err as ProtocolError).code).toBe("MALFORMED_MESSAGE");
          return;
        }
        // A frame that decodes is a well-formed message: it re-encodes and decodes to itself.
        expect(sameValue(decodeAny(encode(msg)), msg)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("batchFrameFromEntries", () => {
  it("assembles exactly the bytes encode() gives a BATCH, for any number of entries", () => {
    fc.assert(
      fc.property(fc.array(clientBatchEntry, { maxLength: 40 }), (entries) => {
        const assembled = batchFrameFromEntries(entries.map(encodeBatchEntry));
        expect(Buffer.from(assembled).equals(Buffer.from(encode({ type: MessageType.BATCH, entries })))).toBe(
          true,
        );
      }),
      { numRuns: 300 },
    );
    const many = Array.from({ length: 70_000 }, (_, i) => ({ kind: "hide" as const, connectionId: `c${i}` }));
    const big = batchFrameFromEntries(many.map(encodeBatchEntry));
    expect(Buffer.from(big).equals(Buffer.from(encode({ type: MessageType.BATCH, entries: many })))).toBe(
      true,
    );
  });
});

describe("64-bit integers", () => {
  // [100, {"n": <uint64>}, []] and [10, <uint64>]: what another language's encoder may send.
  const update = (uint64: string) => hex(`93 64 81 a1 6e cf ${uint64} 90`);
  const ping = (uint64: string) => hex(`92 0a cf ${uint64}`);

  it("decodes uint64/int64 values inside ±2^53 as numbers", () => {
    expect(decodeClientMessage(update("00 00 01 8c 2a 3b 4c 5d"))).toMatchObject({
      set: { n: 0x18c2a3b4c5d },
    });
    expect(decodeClientMessage(ping("00 1f ff ff ff ff ff ff"))).toMatchObject({ t: 2 ** 53 - 1 });
  });

  it("refuses values beyond 2^53 instead of rounding them to another number", () => {
    expectMalformed(() => decodeClientMessage(update("00 20 00 00 00 00 00 01")));
    expectMalformed(() => decodeClientMessage(update("ff ff ff ff ff ff ff ff")));
    expectMalformed(() => decodeClientMessage(ping("80 00 00 00 00 00 00 00")));
  });
});
