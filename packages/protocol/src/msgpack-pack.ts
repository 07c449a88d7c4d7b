// MsgPack encoder for the values the wire carries (PROTOCOL.md §2): null, booleans,
// numbers, strings, byte arrays, arrays, Maps and plain objects. It writes the same
// bytes as msgpackr configured as the server was before this file existed
// (`useRecords: false, variableMapSize: true`): smallest integer form up to 32 bits,
// float64 for every other number, smallest string/array/map header. The property
// test in msgpack.test.ts holds it to that, byte for byte, with msgpackr as the
// oracle.
//
// Why not msgpackr itself: it is ~10 KB of the SDK's gzipped bundle (records,
// structures, bundled strings, extensions — none of which the wire uses), half of
// the 20 KB budget (packages/client/README.md#install-and-module-formats); this file and msgpack-unpack.ts
// are ~1.3 KB. The same code runs on the server so that both ends measure a
// presence value's encoded size (the limits of PROTOCOL.md §6) identically.

/** Grows on demand and is reused: one encode at a time (the encoder calls no user code). */
let buffer = new Uint8Array(16 * 1024);
let view = new DataView(buffer.buffer);
let pos = 0;
const utf8 = new TextEncoder();

function room(bytes: number): void {
  if (pos + bytes <= buffer.length) return;
  let size = buffer.length * 2;
  while (size < pos + bytes) size *= 2;
  const next = new Uint8Array(size);
  next.set(buffer.subarray(0, pos));
  buffer = next;
  view = new DataView(buffer.buffer);
}

/** Header byte `small | n` when n < smallLimit, else `code16`/`code32` with a 2- or 4-byte length. */
function header(n: number, small: number, smallLimit: number, code8: number, code16: number): void {
  room(5);
  if (n < smallLimit) buffer[pos++] = small | n;
  else if (code8 !== 0 && n < 0x100) {
    buffer[pos++] = code8;
    buffer[pos++] = n;
  } else if (n < 0x10000) {
    buffer[pos++] = code16;
    view.setUint16(pos, n);
    pos += 2;
  } else {
    buffer[pos++] = code16 + 1;
    view.setUint32(pos, n);
    pos += 4;
  }
}

function writeNumber(n: number): void {
  room(9);
  if (n >>> 0 === n) {
    if (n < 0x80) buffer[pos++] = n;
    else if (n < 0x100) {
      buffer[pos++] = 0xcc;
      buffer[pos++] = n;
    } else if (n < 0x10000) {
      buffer[pos++] = 0xcd;
      view.setUint16(pos, n);
      pos += 2;
    } else {
      buffer[pos++] = 0xce;
      view.setUint32(pos, n);
      pos += 4;
    }
  } else if (n >> 0 === n) {
    if (n >= -0x20) buffer[pos++] = n & 0xff;
    else if (n >= -0x80) {
      buffer[pos++] = 0xd0;
      buffer[pos++] = n & 0xff;
    } else if (n >= -0x8000) {
      buffer[pos++] = 0xd1;
      view.setInt16(pos, n);
      pos += 2;
    } else {
      buffer[pos++] = 0xd2;
      view.setInt32(pos, n);
      pos += 4;
    }
  } else {
    buffer[pos++] = 0xcb;
    view.setFloat64(pos, n);
    pos += 8;
  }
}

/** Short strings by hand: TextEncoder's call costs more than the loop below (msgpackr does the same). */
const SHORT_STRING = 64;

function writeShortString(s: string): void {
  // Same bytes as TextEncoder for well-formed text; a lone surrogate becomes its
  // 3-byte form (as in msgpackr) where TextEncoder writes U+FFFD — same length.
  const start = pos;
  let at = start + 1;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) buffer[at++] = c;
    else if (c < 0x800) {
      buffer[at++] = (c >> 6) | 0xc0;
      buffer[at++] = (c & 0x3f) | 0x80;
    } else if ((c & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      c = 0x10000 + ((c & 0x03ff) << 10) + (s.charCodeAt(++i) & 0x03ff);
      buffer[at++] = (c >> 18) | 0xf0;
      buffer[at++] = ((c >> 12) & 0x3f) | 0x80;
      buffer[at++] = ((c >> 6) & 0x3f) | 0x80;
      buffer[at++] = (c & 0x3f) | 0x80;
    } else {
      buffer[at++] = (c >> 12) | 0xe0;
      buffer[at++] = ((c >> 6) & 0x3f) | 0x80;
      buffer[at++] = (c & 0x3f) | 0x80;
    }
  }
  const length = at - start - 1;
  if (length < 0x20) {
    buffer[start] = 0xa0 | length;
    pos = at;
  } else {
    // ≤ 192 bytes: a str8 header; move the text one byte up.
    buffer.copyWithin(start + 2, start + 1, at);
    buffer[start] = 0xd9;
    buffer[start + 1] = length;
    pos = at + 1;
  }
}

function writeString(s: string): void {
  // At most 3 bytes per UTF-16 unit, plus a 5-byte header.
  room(5 + s.length * 3);
  if (s.length < SHORT_STRING) {
    writeShortString(s);
    return;
  }
  // Write after a 5-byte gap, then close it up.
  const start = pos;
  const written = utf8.encodeInto(s, buffer.subarray(start + 5)).written;
  header(written, 0xa0, 0x20, 0xd9, 0xda);
  buffer.copyWithin(pos, start + 5, start + 5 + written);
  pos += written;
}

function writeBytes(b: Uint8Array): void {
  header(b.length, 0, 0, 0xc4, 0xc5);
  room(b.length);
  buffer.set(b, pos);
  pos += b.length;
}

function write(value: unknown): void {
  if (value === null || value === undefined) {
    room(1);
    buffer[pos++] = 0xc0;
  } else if (typeof value === "number") writeNumber(value);
  else if (typeof value === "string") writeString(value);
  else if (typeof value === "boolean") {
    room(1);
    buffer[pos++] = value ? 0xc3 : 0xc2;
  } else if (Array.isArray(value)) {
    header(value.length, 0x90, 0x10, 0, 0xdc);
    for (const item of value) write(item);
  } else if (value instanceof Uint8Array) writeBytes(value);
  else if (value instanceof Map) {
    header(value.size, 0x80, 0x10, 0, 0xde);
    for (const [k, v] of value) {
      write(k);
      write(v);
    }
  } else if (typeof value === "object") {
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object);
    header(keys.length, 0x80, 0x10, 0, 0xde);
    for (const key of keys) {
      writeString(key);
      write(object[key]);
    }
  } else throw new TypeError(`cannot encode a ${typeof value} as MsgPack`);
}

/** One MsgPack value; the bytes are the caller's (a copy, never a view of the reused buffer). */
export function pack(value: unknown): Uint8Array {
  pos = 0;
  write(value);
  return buffer.slice(0, pos);
}

/** The encoded size of a value, without copying it out. */
export function packedSize(value: unknown): number {
  pos = 0;
  write(value);
  return pos;
}
