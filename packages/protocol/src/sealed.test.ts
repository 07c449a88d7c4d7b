import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeClientMessage, encode } from "./codec.js";
import { ProtocolError } from "./errors.js";
import { MessageType } from "./messages.js";
import { byteStringToBytes, bytesToByteString, isByteString, SEALED_KEY } from "./sealed.js";
import { decodeSealedValues, encodeSealedValues } from "./sealed-values.js";
import { encodedStateSize, validateState } from "./validate.js";

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof ProtocolError ? err.code : String(err);
  }
  return "no error";
};

describe("the sealed key", () => {
  it("travels as MsgPack bin under field index 4 and comes back as the same byte string", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const sealed = bytesToByteString(bytes);
        const msg = { type: MessageType.UPDATE_PRESENCE, set: { [SEALED_KEY]: sealed }, del: [] } as const;
        const wire = encode(msg);
        const head = bytes.length < 256 ? [0x04, 0xc4, bytes.length] : [0x04, 0xc5];
        expect([...wire.subarray(3, 3 + head.length)]).toEqual(head); // [100, {4: bin …}, []]
        expect(decodeClientMessage(wire)).toEqual(msg);
        expect(byteStringToBytes(sealed)).toEqual(bytes);
      }),
    );
  });

  it("refuses a field index 4 that is not binary (MALFORMED_MESSAGE)", () => {
    // [100, {4: "ab"}, []]
    const frame = Uint8Array.from([0x93, 0x64, 0x81, 0x04, 0xa2, 0x61, 0x62, 0x90]);
    expect(codeOf(() => decodeClientMessage(frame))).toBe("MALFORMED_MESSAGE");
  });

  it("still refuses binary anywhere else (MALFORMED_MESSAGE)", () => {
    // [100, {"x": bin(1)}, []]
    const frame = Uint8Array.from([0x93, 0x64, 0x81, 0xa1, 0x78, 0xc4, 0x01, 0x00, 0x90]);
    expect(codeOf(() => decodeClientMessage(frame))).toBe("MALFORMED_MESSAGE");
  });

  it("is valid only as a byte string, counted in the state limit", () => {
    expect(codeOf(() => validateState({ [SEALED_KEY]: "\u00ff\u0000a" }))).toBe("no error");
    expect(codeOf(() => validateState({ [SEALED_KEY]: "é漢" }))).toBe("INVALID_PRESENCE");
    expect(codeOf(() => validateState({ [SEALED_KEY]: 3 }))).toBe("INVALID_PRESENCE");
    expect(codeOf(() => validateState({ [SEALED_KEY]: "\u0001".repeat(2045) }))).toBe("PRESENCE_TOO_LARGE");
    expect(isByteString("\u0100")).toBe(false);
  });
});

describe("sealed values", () => {
  it("round-trip in field order, a cursor in its compact form", () => {
    const state = { cursor: { x: 0.40859375, y: 0.25 }, status: "editing", note: { a: [1, "b"] } };
    const bytes = encodeSealedValues(state);
    // The clear state's bytes without its keys (0, 1 and "note": 1 + 1 + 5) and with an array header.
    expect(bytes.length).toBe(encodedStateSize(state) - 7);
    expect(decodeSealedValues(bytes, Object.keys(state))).toEqual(state);
  });

  it("refuse a count that differs from the field list, or trailing bytes (MALFORMED_MESSAGE)", () => {
    const bytes = encodeSealedValues({ status: "a" });
    expect(codeOf(() => decodeSealedValues(bytes, ["status", "meta"]))).toBe("MALFORMED_MESSAGE");
    expect(codeOf(() => decodeSealedValues(Uint8Array.from([...bytes, 0]), ["status"]))).toBe(
      "MALFORMED_MESSAGE",
    );
  });
});
