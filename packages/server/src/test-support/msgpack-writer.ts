// A MsgPack writer for hostile test input (the fuzz suites in security/). msgpackr
// always writes the shortest, well-formed encoding of a JavaScript value; an
// attacker does not. This writer spells the wire forms msgpackr never produces:
// uint64/int64 beyond 2^53, float32, NaN with a payload, `bin` and `ext` values,
// map keys of any type, duplicate keys, array headers that lie about their length,
// and verbatim byte splices. Hand-written on purpose (CONTRIBUTING.md habit 12):
// the point is to produce what a correct encoder refuses to.

/** A value to write. Plain numbers take the shortest integer form, or float64. */
export type Mp =
  | null
  | boolean
  | number
  | string
  | readonly Mp[]
  | { readonly u64: bigint }
  | { readonly i64: bigint }
  | { readonly f32: number }
  | { readonly f64: number }
  | { readonly bin: Uint8Array }
  | { readonly ext: number; readonly data: Uint8Array }
  | { readonly pairs: readonly (readonly [Mp, Mp])[] }
  /** An array header claiming `count` elements, followed by `items` (a lie when they differ). */
  | { readonly count: number; readonly items: readonly Mp[] }
  /** Bytes spliced in verbatim. */
  | { readonly raw: Uint8Array };

const utf8 = new TextEncoder();

export function writeMsgPack(value: Mp): Uint8Array {
  const out: number[] = [];
  put(out, value);
  return Uint8Array.from(out);
}

function be(out: number[], n: bigint, bytes: number): void {
  for (let i = bytes - 1; i >= 0; i--) out.push(Number((n >> BigInt(8 * i)) & 0xffn));
}

function putInt(out: number[], n: bigint): void {
  if (n >= 0n && n < 128n) out.push(Number(n));
  else if (n < 0n && n >= -32n) out.push(0x100 + Number(n));
  else {
    // [marker, bytes] of the shortest form that holds n.
    const forms: [bigint, bigint, number, number][] = [
      [0n, 255n, 0xcc, 1],
      [0n, 65535n, 0xcd, 2],
      [0n, 2n ** 32n - 1n, 0xce, 4],
      [-128n, 127n, 0xd0, 1],
      [-32768n, 32767n, 0xd1, 2],
      [-(2n ** 31n), 2n ** 31n - 1n, 0xd2, 4],
    ];
    const form = forms.find(([lo, hi]) => n >= lo && n <= hi);
    const [marker, bytes] = form ? [form[2], form[3]] : n >= 0n ? [0xcf, 8] : [0xd3, 8];
    out.push(marker);
    be(out, BigInt.asUintN(8 * bytes, n), bytes);
  }
}

function putFloat(out: number[], n: number, bytes: 4 | 8): void {
  const view = new DataView(new ArrayBuffer(bytes));
  if (bytes === 4) view.setFloat32(0, n);
  else view.setFloat64(0, n);
  out.push(bytes === 4 ? 0xca : 0xcb, ...new Uint8Array(view.buffer));
}

/** A header with a fix form below `fixMax` and 1-, 2- or 4-byte lengths after the given markers. */
function header(out: number[], n: number, fix: number | undefined, fixMax: number, markers: number[]): void {
  if (fix !== undefined && n < fixMax) {
    out.push(fix | n);
  } else if (markers.length === 3 && n < 256) {
    out.push(markers[0]!, n);
  } else if (n < 65536) {
    out.push(markers.at(-2)!);
    be(out, BigInt(n), 2);
  } else {
    out.push(markers.at(-1)!);
    be(out, BigInt(n), 4);
  }
}

function putArrayHeader(out: number[], n: number): void {
  header(out, n, 0x90, 16, [0xdc, 0xdd]);
}

function put(out: number[], v: Mp): void {
  if (v === null) out.push(0xc0);
  else if (typeof v === "boolean") out.push(v ? 0xc3 : 0xc2);
  else if (typeof v === "number") {
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) putInt(out, BigInt(v));
    else putFloat(out, v, 8);
  } else if (typeof v === "string") {
    const bytes = utf8.encode(v);
    header(out, bytes.length, 0xa0, 32, [0xd9, 0xda, 0xdb]);
    out.push(...bytes);
  } else if (Array.isArray(v)) {
    putArrayHeader(out, v.length);
    for (const item of v) put(out, item);
  } else if ("u64" in v) {
    out.push(0xcf);
    be(out, BigInt.asUintN(64, v.u64), 8);
  } else if ("i64" in v) {
    out.push(0xd3);
    be(out, BigInt.asUintN(64, v.i64), 8);
  } else if ("f32" in v) putFloat(out, v.f32, 4);
  else if ("f64" in v) putFloat(out, v.f64, 8);
  else if ("bin" in v) {
    header(out, v.bin.length, undefined, 0, [0xc4, 0xc5, 0xc6]);
    out.push(...v.bin);
  } else if ("ext" in v) {
    const fixed = [1, 2, 4, 8, 16].indexOf(v.data.length);
    if (fixed >= 0) out.push(0xd4 + fixed);
    else header(out, v.data.length, undefined, 0, [0xc7, 0xc8, 0xc9]);
    out.push(v.ext & 0xff, ...v.data);
  } else if ("pairs" in v) {
    header(out, v.pairs.length, 0x80, 16, [0xde, 0xdf]);
    for (const [k, item] of v.pairs) {
      put(out, k);
      put(out, item);
    }
  } else if ("count" in v) {
    putArrayHeader(out, v.count);
    for (const item of v.items) put(out, item);
  } else if ("raw" in v) out.push(...v.raw);
}
