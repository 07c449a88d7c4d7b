// MsgPack decoder for untrusted frames (PROTOCOL.md §2), the counterpart of
// msgpack-pack.ts. It decodes what msgpackr decodes with
// `useRecords: false, mapsAsObjects: false, int64AsType: "auto"`: maps as Map (so
// `__proto__` stays an ordinary key), 64-bit integers as numbers when safe and as
// BigInt otherwise (which every field then refuses), byte arrays as Uint8Array.
// Extension types and the never-used byte 0xc1 are refused here; the wire has no
// use for them (PROTOCOL.md §2 already makes them MALFORMED_MESSAGE).
//
// Bounded by construction: a length is checked against the bytes left before
// anything is allocated (an array of 2^32 elements in a 10-byte frame is refused at
// once), and nesting deeper than MAX_NESTING is refused rather than recursed into.

/** Deeper than any message: presence values stop at MAX_VALUE_DEPTH (limits.ts) inside ≤ 6 levels of framing. */
const MAX_NESTING = 64;
const utf8 = new TextDecoder("utf-8");

/** Short strings by hand: TextDecoder's call costs more than the loop (msgpackr does the same). */
const SHORT_STRING = 32;

/** UTF-8 → string; anything but plain 1–3-byte sequences goes to TextDecoder (same replacement rules). */
function shortString(bytes: Uint8Array, from: number, to: number): string {
  let out = "";
  for (let i = from; i < to; ) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
    } else if ((b & 0xe0) === 0xc0 && i + 1 < to && ((bytes[i + 1] as number) & 0xc0) === 0x80 && b >= 0xc2) {
      out += String.fromCharCode(((b & 0x1f) << 6) | ((bytes[i + 1] as number) & 0x3f));
      i += 2;
    } else return utf8.decode(bytes.subarray(from, to));
  }
  return out;
}

class Reader {
  pos = 0;
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Reserves n bytes (or n items of at least one byte each) and returns where they start. */
  take(n: number): number {
    const at = this.pos;
    if (n > this.bytes.length - at) throw new RangeError("unexpected end of MsgPack data");
    this.pos = at + n;
    return at;
  }
  u8(): number {
    return this.bytes[this.take(1)] as number;
  }
  u16(): number {
    return this.view.getUint16(this.take(2));
  }
  u32(): number {
    return this.view.getUint32(this.take(4));
  }
  str(n: number): string {
    const at = this.take(n);
    return n < SHORT_STRING
      ? shortString(this.bytes, at, at + n)
      : utf8.decode(this.bytes.subarray(at, at + n));
  }
  bin(n: number): Uint8Array {
    const at = this.take(n);
    return this.bytes.slice(at, at + n);
  }
  int64(big: bigint): number | bigint {
    const n = Number(big);
    return Number.isSafeInteger(n) ? n : big;
  }
}

function array(r: Reader, n: number, depth: number): unknown[] {
  if (n > r.bytes.length - r.pos) throw new RangeError("array longer than the data left");
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) out[i] = read(r, depth + 1);
  return out;
}

function map(r: Reader, n: number, depth: number): Map<unknown, unknown> {
  if (n * 2 > r.bytes.length - r.pos) throw new RangeError("map longer than the data left");
  const out = new Map<unknown, unknown>();
  for (let i = 0; i < n; i++) {
    const key = read(r, depth + 1);
    out.set(key, read(r, depth + 1));
  }
  return out;
}

function read(r: Reader, depth: number): unknown {
  if (depth > MAX_NESTING) throw new RangeError(`MsgPack nested deeper than ${MAX_NESTING}`);
  const b = r.u8();
  if (b < 0x80) return b;
  if (b >= 0xe0) return b - 0x100;
  if (b < 0x90) return map(r, b & 0x0f, depth);
  if (b < 0xa0) return array(r, b & 0x0f, depth);
  if (b < 0xc0) return r.str(b & 0x1f);
  switch (b) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xc4:
      return r.bin(r.u8());
    case 0xc5:
      return r.bin(r.u16());
    case 0xc6:
      return r.bin(r.u32());
    case 0xca:
      return r.view.getFloat32(r.take(4));
    case 0xcb:
      return r.view.getFloat64(r.take(8));
    case 0xcc:
      return r.u8();
    case 0xcd:
      return r.u16();
    case 0xce:
      return r.u32();
    case 0xcf:
      return r.int64(r.view.getBigUint64(r.take(8)));
    case 0xd0:
      return r.view.getInt8(r.take(1));
    case 0xd1:
      return r.view.getInt16(r.take(2));
    case 0xd2:
      return r.view.getInt32(r.take(4));
    case 0xd3:
      return r.int64(r.view.getBigInt64(r.take(8)));
    case 0xd9:
      return r.str(r.u8());
    case 0xda:
      return r.str(r.u16());
    case 0xdb:
      return r.str(r.u32());
    case 0xdc:
      return array(r, r.u16(), depth);
    case 0xdd:
      return array(r, r.u32(), depth);
    case 0xde:
      return map(r, r.u16(), depth);
    case 0xdf:
      return map(r, r.u32(), depth);
    default:
      // 0xc1 (never used) and the extension types 0xc7–0xc9, 0xd4–0xd8.
      throw new RangeError(`MsgPack type byte 0x${b.toString(16)} is not accepted`);
  }
}

/** Every MsgPack value in the bytes, in order; throws RangeError on malformed or truncated data. */
export function unpackMultiple(bytes: Uint8Array): unknown[] {
  const r = new Reader(bytes);
  const out: unknown[] = [];
  while (r.pos < bytes.length) out.push(read(r, 0));
  return out;
}
