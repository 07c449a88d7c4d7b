// The MsgPack implementation the codec uses (PROTOCOL.md §2). Two are byte-for-byte
// interchangeable (msgpack.test.ts holds them to it): the compact one of this
// package (msgpack-pack.ts, msgpack-unpack.ts), the default, small enough for the
// SDK's bundle budget (packages/client/README.md#install-and-module-formats); and msgpackr
// (msgpack-msgpackr.ts), the field's library and 1.3× faster at decoding the small
// client frames that are the server's inbound hot path (docs/BENCHMARKS.md#msgpack-the-sdks-compact-codec-and-msgpackr),
// which the server's roles select with useMsgpack at start. Browsers never load msgpackr: nothing the SDK
// imports references it, and the package has no side effects.
import { pack, packedSize } from "./msgpack-pack.js";
import { unpackMultiple } from "./msgpack-unpack.js";

export interface MsgpackBackend {
  /** One value → bytes the caller owns. */
  pack(value: unknown): Uint8Array;
  /** Encoded size of one value. */
  packedSize(value: unknown): number;
  /** Every value in the bytes; throws on malformed or truncated data. */
  unpackMultiple(bytes: Uint8Array): unknown[];
}

export const compactMsgpack: MsgpackBackend = { pack, packedSize, unpackMultiple };

let active: MsgpackBackend = compactMsgpack;

/** Selects the implementation for this process (the server's roles choose msgpackr). */
export function useMsgpack(backend: MsgpackBackend): void {
  active = backend;
}

/** The implementation in use. */
export function msgpack(): MsgpackBackend {
  return active;
}
