// The clear header of sealed presence (docs/E2EE.md#how-a-state-is-sealed). A sealed state is
// one byte string under the presence key "~" (PROTOCOL.md §2, field index 4, MsgPack bin):
//
//   sealed = version(1) ‖ keyId ‖ epoch ‖ counter ‖ fields ‖ nonce(12) ‖ ciphertext ‖ tag(16)
//   keyId, epoch, counter: unsigned LEB128 varints (0–127 take one byte)
//   fields = count ‖ field…   field = 0–3 (cursor, status, avatar, meta) or 4 + n ‖ n bytes of UTF-8
//
// The header is clear so that a receiver without the key can still say which fields are
// locked (locked.ts), and it is the additional authenticated data, with the room and the
// sender: any change to it fails decryption. This file is in the core bundle (rooms without
// encryption read headers to show locked fields); sealing itself is in the e2ee entry.

/** Format version; receivers refuse others (MALFORMED_ENVELOPE). */
export const SEALED_VERSION = 2;
/** Fields written as one byte, in PROTOCOL.md §2's field-index order. */
const SHORT_FIELDS = ["cursor", "status", "avatar", "meta"] as const;
/** Largest varint value: key ids, epochs and counters are safe integers well below it. */
const MAX_VARINT = 2 ** 49;
/** Longest field name, characters (PROTOCOL.md §6's key length). */
const MAX_FIELD_LENGTH = 128;

export interface SealedHeader {
  readonly keyId: number;
  /** The sender's epoch when it sealed (0 before its first welcome). */
  readonly epoch: number;
  /** The sender's counter: every sealing of a room session takes the next one. */
  readonly counter: number;
  /** The sealed fields, in the order of the values inside. */
  readonly fields: readonly string[];
}

export interface ParsedSealed extends SealedHeader {
  /** Header length in bytes: the nonce starts here. */
  readonly length: number;
}

function pushVarint(out: number[], value: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value >= MAX_VARINT) {
    throw new RangeError(`sealed header: ${value} is not an integer in [0, 2^49)`);
  }
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

export function writeHeader(header: SealedHeader): Uint8Array<ArrayBuffer> {
  const out: number[] = [SEALED_VERSION];
  pushVarint(out, header.keyId);
  pushVarint(out, header.epoch);
  pushVarint(out, header.counter);
  pushVarint(out, header.fields.length);
  const utf8 = new TextEncoder();
  for (const field of header.fields) {
    const short = SHORT_FIELDS.indexOf(field as (typeof SHORT_FIELDS)[number]);
    if (short >= 0) {
      out.push(short);
      continue;
    }
    const name = utf8.encode(field);
    pushVarint(out, SHORT_FIELDS.length + name.length);
    for (const b of name) out.push(b);
  }
  return Uint8Array.from(out);
}

/** Reads a header; null when the bytes are not a version-2 sealed state. */
export function readHeader(bytes: Uint8Array): ParsedSealed | null {
  let at = 1;
  const varint = (): number => {
    let value = 0;
    for (let scale = 1; at < bytes.length && scale < MAX_VARINT; scale *= 0x80) {
      const b = bytes[at++] as number;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
    }
    return -1;
  };
  if (bytes[0] !== SEALED_VERSION) return null;
  const keyId = varint();
  const epoch = varint();
  const counter = varint();
  const count = varint();
  if (keyId < 0 || epoch < 0 || counter < 0 || count < 0 || count > bytes.length) return null;
  const fields: string[] = [];
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  for (let i = 0; i < count; i++) {
    const tag = varint();
    if (tag < 0) return null;
    let field: string | undefined = SHORT_FIELDS[tag];
    if (field === undefined) {
      const end = at + tag - SHORT_FIELDS.length;
      if (end > bytes.length) return null;
      try {
        field = utf8.decode(bytes.subarray(at, end));
      } catch {
        return null; // not UTF-8: not a header we wrote
      }
      at = end;
      if (field.length === 0 || field.length > MAX_FIELD_LENGTH || field === "~") return null;
    }
    if (fields.includes(field)) return null;
    fields.push(field);
  }
  return { keyId, epoch, counter, fields, length: at };
}
