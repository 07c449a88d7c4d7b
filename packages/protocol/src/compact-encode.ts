// Encoding of BATCH entries and snapshot peers for revision-3 clients (PROTOCOL.md
// §4 "Revision 3: aliases and compact moves"). An edge gives each connection (id
// and epoch) of a room a short alias; enter entries and snapshot peers carry it
// after the revision-2 fields, later entries name the connection by it, and a
// cursor-only update becomes a compact move `[4, alias, clock, x, y]` with each
// coordinate in its smallest exact MsgPack form. Without an alias (the edge
// forgot it after a leave) an entry keeps its revision-2 shape: the decoder tells
// the two apart by element 1, a string id or an integer alias.
import { encodeBatchEntry, entryToWire, peerToWire } from "./codec.js";
import type { Json, JsonObject } from "./json.js";
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

/** The compact move of an update, or undefined when it is not one (PROTOCOL.md §4). */
function moveBytes(e: UpdateEntry, alias: number): Uint8Array | undefined {
  if (e.del.length > 0 || e.base !== e.clock - 1) return undefined;
  const at = position(e.set.cursor);
  if (at === undefined) return undefined;
  let rest: Uint8Array | undefined;
  if (Object.keys(e.set).length > 1) {
    const others: Record<string, Json> = {};
    for (const k of Object.keys(e.set)) if (k !== "cursor") others[k] = e.set[k] as Json;
    rest = msgpack().pack(stateToWire(others as PresenceData));
  }
  const out: number[] = [rest === undefined ? 0x95 : 0x96, ENTRY_MOVE];
  writeNumber(out, alias);
  writeNumber(out, e.clock);
  writeNumber(out, at.x);
  writeNumber(out, at.y);
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

/** One BATCH entry for a revision-3 client: frames are assembled with batchFrameFromEntries. */
export function encodeBatchEntryRev3(e: ClientBatchEntry, aliases: AliasSource): Uint8Array {
  if (e.kind === "update") {
    const a = aliases.lookup(e.connectionId, e.epoch);
    const move = a === undefined ? undefined : moveBytes(e, a);
    if (move !== undefined) return move;
  }
  const wire = aliasedWire(e, aliases);
  return wire === undefined ? encodeBatchEntry(e) : msgpack().pack(wire);
}

/** One snapshot peer for a revision-3 client: the revision-2 peer and its alias. */
export function encodePeerRev3(p: PeerState, alias: number): Uint8Array {
  return msgpack().pack([...peerToWire(p), alias]);
}
