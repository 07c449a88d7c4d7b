import { decodeClientMessage, encode, MessageType, ProtocolError } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { writeMsgPack } from "./msgpack-writer.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("writeMsgPack", () => {
  it("writes what msgpackr writes for plain values", () => {
    const ping = encode({ type: MessageType.PING, t: 1234.5 });
    expect(hex(writeMsgPack([10, 1234.5]))).toBe(hex(ping));
    const sync = encode({ type: MessageType.SYNC_REQUEST, syncId: 70_000 });
    expect(hex(writeMsgPack([200, 70_000]))).toBe(hex(sync));
    expect(hex(writeMsgPack([-1, -33, -200, -40_000, 2 ** 40]))).toBe(
      "95ffd0dfd1ff38d2ffff63c0cf0000010000000000",
    );
  });

  it("writes the forms msgpackr never writes, which the decoder then judges", () => {
    // syncId 7 as a uint64 is still 7; 2^64 − 1 is no safe integer.
    expect(decodeClientMessage(writeMsgPack([200, { u64: 7n }]))).toEqual({ type: 200, syncId: 7 });
    expect(() => decodeClientMessage(writeMsgPack([200, { u64: 2n ** 64n - 1n }]))).toThrow(ProtocolError);
    expect(hex(writeMsgPack({ f32: 1 }))).toBe("ca3f800000");
    expect(hex(writeMsgPack({ ext: -1, data: new Uint8Array(4) }))).toBe("d6ff00000000");
    expect(hex(writeMsgPack({ ext: 5, data: new Uint8Array(3) }))).toBe("c70305000000");
    expect(hex(writeMsgPack({ bin: new Uint8Array([1, 2]) }))).toBe("c4020102");
    expect(hex(writeMsgPack({ pairs: [[1, "a"]] }))).toBe("8101a161");
    expect(hex(writeMsgPack({ count: 3, items: [10] }))).toBe("930a");
    expect(hex(writeMsgPack(["x".repeat(40)]))).toBe(`91d928${"78".repeat(40)}`);
  });
});
