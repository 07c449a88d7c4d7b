// msgpackr as the codec's MsgPack implementation (msgpack.ts): the server's choice,
// configured for untrusted input — no records or structures, maps decoded as Map
// (so `__proto__` stays an ordinary key, see json.ts setOwn), 64-bit integers as
// numbers when safe and as BigInt otherwise, which every field then refuses
// (PROTOCOL.md §2).
import { Packr, Unpackr } from "msgpackr";
import type { MsgpackBackend } from "./msgpack.js";

const packr = new Packr({ useRecords: false, variableMapSize: true, moreTypes: false });
// "auto" is documented (README, msgpackr 1.12) but missing from its type definitions.
const INT64_SAFE_OR_BIGINT = "auto" as unknown as "number";
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: false, int64AsType: INT64_SAFE_OR_BIGINT });

export const msgpackrBackend: MsgpackBackend = {
  pack: (value) => packr.pack(value),
  packedSize: (value) => packr.pack(value).length,
  unpackMultiple: (bytes) => unpackr.unpackMultiple(bytes) as unknown[],
};
