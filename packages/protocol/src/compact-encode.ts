// Encoding of BATCH entries and snapshot peers for revision-3 clients (PROTOCOL.md
// §4 "Revision 3: aliases and compact moves"). An edge gives each connection (id
// and epoch) of a room a short alias; enter entries and snapshot peers carry it
// after the revision-2 fields, later entries name the connection by it, and a
// cursor-only update becomes a compact move `[4, alias, clock, x, y]` with each
// coordinate in its smallest exact MsgPack form. Without an alias (the edge
// forgot it after a leave) an entry keeps its revision-2 shape: the decoder tells
// the two apart by element 1, a string id or an integer alias. For revision 4
// a move whose coordinates are fractions with a small common denominator (an
// app's `pixel / width`) may be a ratio move `[5, alias, clock, d, xn, yn]`
// (§4 "Revision 4"), when that is shorter.
import { encodeBatchEntry, entryToWire, peerToWire } from "./codec.js";
import type { Json, JsonObject } from "./json.js";
import { MAX_RATIO_DENOMINATOR } from "./limits.js";
import type { ClientBatchEntry, PeerState, UpdateEntry } from "./messages.js";
import { msgpack } from "./msgpack.js";
import type { PresenceData } from "./presence-types.js";
import { stateToWire } from "./state-codec.js";

/** The edge's alias table as the encoder needs it (server edge/entry-aliases.ts keeps it). */
export interface AliasSource {
  /** The alias of (connectionId, epoch), assigned now when it has none: for entries that announce it. */
  announce(connectionId: string, epoch: number): number;
  /** The alias of (connectionId, epoch), or of the connection's current epoch when epoch is omitted. */
  lookup(connectionId: string, epoch?: number): number | undefined;
}

/** An edge's aliases: AliasSource and what keeping the table needs (server edge/entry-aliases.ts). */
export interface AliasAssigner extends AliasSource {
  /** Forgets a connection's alias (its alias is never handed out again). */
  drop(connectionId: string): void;
  /** The epoch a connection's alias stands for, if it has one. */
  epochOf(connectionId: string): number | undefined;
  /** Connections holding an alias. */
  ids(): IterableIterator<string>;
  readonly size: number;
}

/**
 * A room's alias table: a connection (id and epoch) gets the next number of a counter
 * that never goes back, so an alias is never given to another connection or epoch.
 */
export function createAliasAssigner(): AliasAssigner {
  const byId = new Map<string, { readonly alias: number; readonly epoch: number }>();
  let next = 0;
  return {
    announce(connectionId, epoch) {
      const a = byId.get(connectionId);
      if (a !== undefined && a.epoch === epoch) return a.alias;
      byId.set(connectionId, { alias: next, epoch });
      return next++;
    },
    lookup(connectionId, epoch) {
      const a = byId.get(connectionId);
      return a !== undefined && (epoch === undefined || a.epoch === epoch) ? a.alias : undefined;
    },
    drop: (connectionId) => byId.delete(connectionId),
    epochOf: (connectionId) => byId.get(connectionId)?.epoch,
    ids: () => byId.keys(),
    get size() {
      return byId.size;
    },
  };
}

const ENTRY_MOVE = 4;
const ENTRY_RATIO_MOVE = 5;
const REASON_CODES = { left: 0, expired: 1 } as const;

/** A position `{x, y}` of two numbers and nothing else (the compact cursor of state-codec.ts). */
function position(value: Json | undefined): { x: number; y: number } | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const v = value as JsonObject;
  return Object.keys(v).length === 2 && typeof v.x === "number" && typeof v.y === "number"
    ? { x: v.x, y: v.y }
    : undefined;
}

/** Appends `n` (a safe integer or a finite float) in its smallest exact MsgPack form. */
function writeNumber(out: number[], n: number): void {
  const view = new DataView(new ArrayBuffer(8));
  if (Number.isInteger(n) && n >= -0x80000000 && n <= 0xffffffff) {
    if (n >= 0 && n < 0x80)
      out.push(n); // positive fixint; -0 too
    else if (n < 0 && n >= -32)
      out.push(n & 0xff); // negative fixint
    else if (n >= 0) {
      const [tag, size] = n < 0x100 ? [0xcc, 1] : n < 0x10000 ? [0xcd, 2] : [0xce, 4];
      out.push(tag);
      for (let i = size - 1; i >= 0; i--) out.push(Math.floor(n / 2 ** (8 * i)) & 0xff);
    } else {
      const [tag, size] = n >= -0x80 ? [0xd0, 1] : n >= -0x8000 ? [0xd1, 2] : [0xd2, 4];
      view.setInt32(0, n);
      out.push(tag, ...new Uint8Array(view.buffer, 4 - size, size));
    }
  } else if (Math.fround(n) === n) {
    view.setFloat32(0, n);
    out.push(0xca, ...new Uint8Array(view.buffer, 0, 4));
  } else {
    view.setFloat64(0, n);
    out.push(0xcb, ...new Uint8Array(view.buffer, 0, 8));
  }
}

/** Bytes writeNumber takes for `n`. */
function numberSize(n: number): number {
  if (Number.isInteger(n) && n >= -0x80000000 && n <= 0xffffffff) {
    if (n >= 0) return n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
    return n >= -32 ? 1 : n >= -0x80 ? 2 : n >= -0x8000 ? 3 : 5;
  }
  return Math.fround(n) === n ? 5 : 9;
}

/**
 * The smallest q ≤ max such that some integer n gives n / q === x exactly, or
 * undefined. The candidates are the continued-fraction convergents of |x|: a
 * double made by dividing two integers (an app's 523 / 1280) is within 2^-53 of
 * that fraction, so the fraction is one of them whenever its denominator is at
 * most max. Float error in the expansion can only miss a denominator, never give
 * a wrong one: each candidate is checked by the division a decoder does.
 */
export function smallestDenominator(x: number, max = MAX_RATIO_DENOMINATOR): number | undefined {
  if (!Number.isFinite(x)) return undefined;
  if (Number.isInteger(x)) return 1;
  const t = Math.abs(x);
  let v = t;
  // Convergents h/k: h₋₂ = 0, h₋₁ = 1, k₋₂ = 1, k₋₁ = 0.
  let [h0, h1, k0, k1] = [0, 1, 1, 0];
  for (let i = 0; i < 64; i++) {
    const a = Math.floor(v);
    const h = a * h1 + h0;
    const k = a * k1 + k0;
    if (k > max) return undefined;
    if (h / k === t) return k;
    const f = v - a;
    if (f === 0) return undefined;
    v = 1 / f;
    [h0, h1, k0, k1] = [h1, h, k1, k];
  }
  return undefined;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** A ratio form of (x, y) — common denominator and numerators — shorter than their plain forms, or undefined. */
function ratioOf(x: number, y: number): [number, number, number] | undefined {
  if (Number.isInteger(x) && Number.isInteger(y)) return undefined; // integers are as short as it gets
  const plain = numberSize(x) + numberSize(y);
  const qx = smallestDenominator(x);
  const qy = smallestDenominator(y);
  if (qx === undefined || qy === undefined) return undefined;
  const d = (qx / gcd(qx, qy)) * qy;
  if (d > MAX_RATIO_DENOMINATOR) return undefined;
  const xn = Math.round(x * d) || 0; // -0 is sent as 0, as in a move
  const yn = Math.round(y * d) || 0;
  // Numerators are safe integers (as the decoder checks); past int32/uint32 they would be floats: no ratio then.
  if (xn / d !== x || yn / d !== y || !Number.isSafeInteger(xn) || !Number.isSafeInteger(yn))
    return undefined;
  if (numberSize(xn) > 5 || numberSize(yn) > 5) return undefined;
  return numberSize(d) + numberSize(xn) + numberSize(yn) < plain ? [d, xn, yn] : undefined;
}

/** The compact move of an update, or undefined when it is not one (PROTOCOL.md §4). */
function moveBytes(e: UpdateEntry, alias: number, ratios: boolean): Uint8Array | undefined {
  if (e.del.length > 0 || e.base !== e.clock - 1) return undefined;
  const at = position(e.set.cursor);
  if (at === undefined) return undefined;
  let rest: Uint8Array | undefined;
  if (Object.keys(e.set).length > 1) {
    const others: Record<string, Json> = {};
    for (const k of Object.keys(e.set)) if (k !== "cursor") others[k] = e.set[k] as Json;
    rest = msgpack().pack(stateToWire(others as PresenceData));
  }
  const ratio = ratios ? ratioOf(at.x, at.y) : undefined;
  const out: number[] =
    ratio === undefined
      ? [rest === undefined ? 0x95 : 0x96, ENTRY_MOVE]
      : [rest === undefined ? 0x96 : 0x97, ENTRY_RATIO_MOVE];
  writeNumber(out, alias);
  writeNumber(out, e.clock);
  for (const n of ratio ?? [at.x, at.y]) writeNumber(out, n);
  if (rest === undefined) return Uint8Array.from(out);
  const bytes = new Uint8Array(out.length + rest.length);
  bytes.set(out);
  bytes.set(rest, out.length);
  return bytes;
}

/** The entry in its revision-3 form: shapes of PROTOCOL.md §4 "Revision 3". */
function aliasedWire(e: ClientBatchEntry, aliases: AliasSource): unknown[] | undefined {
  switch (e.kind) {
    case "enter":
      return [...entryToWire(e), aliases.announce(e.connectionId, e.epoch)];
    case "update": {
      const a = aliases.lookup(e.connectionId, e.epoch);
      return a === undefined ? undefined : [1, a, e.base, e.clock, stateToWire(e.set), e.del];
    }
    case "leave": {
      const a = aliases.lookup(e.connectionId, e.epoch);
      return a === undefined ? undefined : [2, a, e.clock, REASON_CODES[e.reason]];
    }
    case "hide": {
      const a = aliases.lookup(e.connectionId);
      return a === undefined ? undefined : [3, a];
    }
  }
}

/**
 * One BATCH entry for a revision-3 client, or with `ratios` a revision-4 one (its moves
 * may be ratio moves): frames are assembled with batchFrameFromEntries.
 */
export function encodeBatchEntryRev3(e: ClientBatchEntry, aliases: AliasSource, ratios = false): Uint8Array {
  if (e.kind === "update") {
    const a = aliases.lookup(e.connectionId, e.epoch);
    const move = a === undefined ? undefined : moveBytes(e, a, ratios);
    if (move !== undefined) return move;
  }
  const wire = aliasedWire(e, aliases);
  return wire === undefined ? encodeBatchEntry(e) : msgpack().pack(wire);
}

/** One snapshot peer for a revision-3 client: the revision-2 peer and its alias. */
export function encodePeerRev3(p: PeerState, alias: number): Uint8Array {
  return msgpack().pack([...peerToWire(p), alias]);
}
