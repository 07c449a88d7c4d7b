// Wire codec: typed messages ⇄ MsgPack bytes. Every message is a MsgPack array
// `[type, ...fields]` (positional: no key names on the wire); decoders accept and
// ignore extra trailing fields so that fields can be added later.
//
// The MsgPack implementation (msgpack.ts) decodes maps as Map (so `__proto__`
// stays an ordinary key, see json.ts setOwn), 64-bit ints as numbers when they are
// safe integers and as BigInt otherwise — which every field and presence value then
// refuses (PROTOCOL.md §2: a uint64 beyond 2^53 would silently become a different
// number); every decoded value is then walked and checked, and any failure — the
// decoder's own RangeErrors and truncation errors included — becomes a
// ProtocolError("MALFORMED_MESSAGE").

import { expandAliased } from "./compact-decode.js";
import type { EntryAliasTable } from "./entry-aliases.js";
import { ERRORS, isErrorCode } from "./errors.js";
import type { Json } from "./json.js";
import {
  assertNever,
  type BatchEntry,
  type ClientBatchEntry,
  type ClientMessage,
  type LeaveReason,
  type Message,
  MessageType,
  type PeerState,
  type ServerMessage,
  type WelcomeLimits,
} from "./messages.js";
import { msgpack } from "./msgpack.js";
import type { PresenceData } from "./presence-types.js";
import { stateFromWire, stateToWire, valueFromWire } from "./state-codec.js";
import { MAX_VIEW_PINNED, type Rect, type ViewSpec } from "./view.js";
import { arr, field, keys, malformed, num, quote, str, uint } from "./wire-fields.js";

const ENTRY_ENTER = 0;
const ENTRY_UPDATE = 1;
const ENTRY_LEAVE = 2;
const ENTRY_HIDE = 3;
const REASONS: readonly LeaveReason[] = ["left", "expired"];

/** Default bound on a decoded frame (server→client frames; inbound client frames are 4 KB). */
export const DEFAULT_MAX_DECODE_BYTES = 8 * 1024 * 1024;

export function peerToWire(p: PeerState): unknown[] {
  return [p.connectionId, p.userId, p.info ?? null, p.epoch, p.clock, stateToWire(p.state)];
}

export function entryToWire(e: ClientBatchEntry): unknown[] {
  switch (e.kind) {
    case "enter":
      return [ENTRY_ENTER, e.connectionId, e.userId, e.info ?? null, e.epoch, e.clock, stateToWire(e.state)];
    case "update":
      return [ENTRY_UPDATE, e.connectionId, e.epoch, e.base, e.clock, stateToWire(e.set), e.del];
    case "leave":
      return [ENTRY_LEAVE, e.connectionId, e.epoch, e.clock, REASONS.indexOf(e.reason)];
    case "hide":
      return [ENTRY_HIDE, e.connectionId];
    default:
      return assertNever(e);
  }
}

function toWire(msg: Message): unknown[] {
  switch (msg.type) {
    case MessageType.WELCOME: {
      const l = msg.limits;
      return [
        msg.type,
        msg.connectionId,
        msg.userId,
        msg.epoch,
        msg.serverTime,
        msg.tokenExp,
        [
          l.ratePerSecond,
          l.burst,
          l.maxStateBytes,
          l.maxMetaBytes,
          l.maxFrameBytes,
          l.heartbeatMs,
          // Only when offered: decoders of earlier SDKs ignore a trailing limit.
          ...(l.keepaliveMs === undefined ? [] : [l.keepaliveMs]),
        ],
        msg.rttBuckets,
      ];
    }
    case MessageType.ERROR:
      return [msg.type, msg.code, msg.message, msg.fatal];
    case MessageType.PING:
      return [msg.type, msg.t];
    case MessageType.PONG:
      return [msg.type, msg.t, msg.serverTime];
    case MessageType.AUTH:
      return [msg.type, msg.token];
    case MessageType.UPDATE_PRESENCE:
      return [msg.type, stateToWire(msg.set), msg.del];
    case MessageType.BATCH:
      return [msg.type, msg.entries.map(entryToWire)];
    case MessageType.SYNC_REQUEST:
      return [msg.type, msg.syncId];
    case MessageType.SNAPSHOT_CHUNK:
      return [msg.type, msg.syncId, msg.entries.map(peerToWire)];
    case MessageType.SNAPSHOT_DONE:
      return [msg.type, msg.syncId, msg.total];
    case MessageType.RTT_REPORT:
      return [msg.type, msg.counts];
    case MessageType.SET_VIEW:
      return [msg.type, msg.view === null ? null : viewToWire(msg.view)];
    case MessageType.OCCUPANCY:
      return [msg.type, msg.connections, msg.users, msg.omitted];
    case MessageType.BROADCAST:
      return [msg.type, msg.event];
    case MessageType.EVENT:
      return [msg.type, msg.connectionId, msg.userId, msg.event];
    case MessageType.PEER_LOST:
      return [msg.type, msg.connectionId, msg.epoch];
    default:
      return assertNever(msg);
  }
}

/** Encodes any message. The caller guarantees values are Json (validated at ingress). */
export function encode(msg: Message): Uint8Array {
  return msgpack().pack(toWire(msg));
}

/** One MsgPack value (the plaintext of sealed presence, sealed-values.ts), with the codec's options. */
export function packValue(value: unknown): Uint8Array {
  return msgpack().pack(value);
}

/** Exactly one MsgPack value within `maxBytes`, decoded as strictly as a frame; MALFORMED_MESSAGE otherwise. */
export function unpackValue(bytes: Uint8Array, maxBytes: number): unknown {
  return unpackOne(bytes, maxBytes);
}

// ---- payloads: the entry lists of BATCH and SNAPSHOT_CHUNK on their own ----
// The same bytes as inside those messages. The gRPC link (docs/ARCHITECTURE.md#the-grpc-link-protopresenceproto-rpc) carries them as
// payloads and the edge caches one peer's bytes to assemble snapshot chunks, so
// other transports reuse the format and its checks instead of cutting headers
// off encoded messages.

/** One snapshot entry `[connectionId, userId, info, epoch, clock, state]`, as inside SNAPSHOT_CHUNK. */
export function encodePeer(p: PeerState): Uint8Array {
  return msgpack().pack(peerToWire(p));
}

/** Encoded size of one snapshot entry: used to size snapshot chunks. */
export function encodedPeerSize(p: PeerState): number {
  return encodePeer(p).length;
}

/** A MsgPack array of snapshot entries. */
export function encodePeers(peers: readonly PeerState[]): Uint8Array {
  return msgpack().pack(peers.map(peerToWire));
}

/** One BATCH entry on its own, as it appears inside BATCH: frames for many sockets share these bytes. */
export function encodeBatchEntry(e: ClientBatchEntry): Uint8Array {
  return msgpack().pack(entryToWire(e));
}

/**
 * A BATCH frame from entries encoded with encodeBatchEntry: the same bytes as
 * `encode({ type: BATCH, entries })`, assembled by copying, so an entry sent to
 * many connections with different selections is encoded once.
 */
export function batchFrameFromEntries(parts: readonly Uint8Array[]): Uint8Array {
  const n = parts.length;
  const head = n < 16 ? 1 : n < 65536 ? 3 : 5;
  let size = 2 + head;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  out[0] = 0x92; // [type, entries]
  out[1] = MessageType.BATCH; // positive fixint
  if (n < 16) out[2] = 0x90 | n;
  else if (n < 65536) {
    out[2] = 0xdc;
    out[3] = n >> 8;
    out[4] = n & 0xff;
  } else {
    out[2] = 0xdd;
    new DataView(out.buffer).setUint32(3, n);
  }
  let off = 2 + head;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** A MsgPack array of batch entries, as inside BATCH. */
export function encodeBatchEntries(entries: readonly BatchEntry[]): Uint8Array {
  return msgpack().pack(entries.map(entryToWire));
}

// SET_VIEW `[110, [rect | null, field, pinned, cap, roster, everyone] | null]`, rect = [x0, y0, x1, y1].
function viewToWire(v: ViewSpec): unknown[] {
  const r = v.rect === null ? null : [v.rect.x0, v.rect.y0, v.rect.x1, v.rect.y1];
  return [r, v.field, v.pinned, v.cap, v.roster, v.everyone];
}

// ---- decoding ----

/** Exactly one MsgPack value, within the size bound. */
function unpackOne(bytes: Uint8Array, maxBytes: number): unknown {
  if (!(bytes instanceof Uint8Array)) malformed("frame is not binary");
  if (bytes.length === 0) malformed("empty frame");
  if (bytes.length > maxBytes) malformed(`frame of ${bytes.length} bytes exceeds ${maxBytes}`);
  let values: unknown[];
  try {
    values = msgpack().unpackMultiple(bytes);
  } catch (err) {
    return malformed(`undecodable MsgPack: ${(err as Error).message}`);
  }
  if (values.length !== 1) malformed("trailing bytes after the message");
  return values[0];
}

function unpack(bytes: Uint8Array, maxBytes: number): unknown[] {
  const frame = unpackOne(bytes, maxBytes);
  if (!Array.isArray(frame) || frame.length === 0) malformed("message is not a non-empty array");
  return frame;
}

function info(v: unknown): Json | undefined {
  return v === null ? undefined : valueFromWire(v);
}
function state(v: unknown): PresenceData {
  return stateFromWire(v);
}

/** A snapshot peer; with a revision-3 table, its trailing alias (element 6) is learnt. */
function peerFromWire(v: unknown, aliases?: EntryAliasTable): PeerState {
  const e = arr(v, "snapshot entry");
  const peer = {
    connectionId: str(field(e, 0), "connectionId", 128),
    userId: str(field(e, 1), "userId", 256),
    info: info(field(e, 2)),
    epoch: uint(field(e, 3), "epoch"),
    clock: uint(field(e, 4), "clock"),
    state: state(field(e, 5)),
  };
  if (e.length > 6) aliases?.learn(e[6], peer.connectionId, peer.epoch, true);
  return peer;
}

function entryFromWire(v: unknown): BatchEntry {
  const e = clientEntryFromWire(v);
  if (e.kind === "hide") malformed("hide entries travel only to clients");
  return e;
}

/** A BATCH entry; with a revision-3 table, alias shapes too (PROTOCOL.md §4 "Revision 3"). */
function clientEntryFromWire(v: unknown, aliases?: EntryAliasTable): ClientBatchEntry {
  let e = arr(v, "batch entry");
  if (aliases && typeof e[1] === "number") e = expandAliased(e, aliases);
  const kind = field(e, 0);
  const connectionId = str(field(e, 1), "connectionId", 128);
  switch (kind) {
    case ENTRY_ENTER: {
      const enter = {
        kind: "enter" as const,
        connectionId,
        userId: str(field(e, 2), "userId", 256),
        info: info(field(e, 3)),
        epoch: uint(field(e, 4), "epoch"),
        clock: uint(field(e, 5), "clock"),
        state: state(field(e, 6)),
      };
      if (e.length > 7) aliases?.learn(e[7], connectionId, enter.epoch);
      return enter;
    }
    case ENTRY_UPDATE: {
      const base = uint(field(e, 3), "base");
      const clock = uint(field(e, 4), "clock");
      if (base >= clock) malformed("update base must be below its clock");
      return {
        kind: "update",
        connectionId,
        epoch: uint(field(e, 2), "epoch"),
        base,
        clock,
        set: state(field(e, 5)),
        del: keys(field(e, 6)),
      };
    }
    case ENTRY_LEAVE: {
      const reason = REASONS[uint(field(e, 4), "leave reason")];
      if (reason === undefined) malformed("unknown leave reason");
      return {
        kind: "leave",
        connectionId,
        epoch: uint(field(e, 2), "epoch"),
        clock: uint(field(e, 3), "clock"),
        reason,
      };
    }
    case ENTRY_HIDE:
      return { kind: "hide", connectionId };
    default:
      return malformed(`unknown batch entry kind ${quote(kind)}`);
  }
}

/** Shape only (numbers, strings, lengths); the view's rules are validateView's. */
function viewFromWire(f: unknown[]): ViewSpec {
  const raw = field(f, 0);
  let rect: Rect | null = null;
  if (raw !== null) {
    const r = arr(raw, "view rect", 4);
    if (r.length !== 4) malformed("view rect is not [x0, y0, x1, y1]");
    const n = (v: unknown, what: string) => {
      if (typeof v !== "number") malformed(`${what} is not a number`);
      return v;
    };
    rect = { x0: n(r[0], "x0"), y0: n(r[1], "y0"), x1: n(r[2], "x1"), y1: n(r[3], "y1") };
  }
  const everyone = field(f, 5);
  if (typeof everyone !== "boolean") malformed("view everyone is not a boolean");
  return {
    rect,
    field: str(field(f, 1), "view field", 256),
    pinned: arr(field(f, 2), "pinned", MAX_VIEW_PINNED * 4).map((u) => str(u, "pinned user", 256)),
    cap: uint(field(f, 3), "view cap"),
    roster: uint(field(f, 4), "view roster"),
    everyone,
  };
}

function limitsFromWire(v: unknown): WelcomeLimits {
  const l = arr(v, "limits");
  return {
    ratePerSecond: num(field(l, 0), "ratePerSecond"),
    burst: uint(field(l, 1), "burst"),
    maxStateBytes: uint(field(l, 2), "maxStateBytes"),
    maxMetaBytes: uint(field(l, 3), "maxMetaBytes"),
    maxFrameBytes: uint(field(l, 4), "maxFrameBytes"),
    heartbeatMs: uint(field(l, 5), "heartbeatMs"),
    ...(l.length > 6 ? { keepaliveMs: uint(l[6], "keepaliveMs") } : {}),
  };
}

/** Decodes a frame sent by a client. Throws ProtocolError("MALFORMED_MESSAGE") on anything else. */
export function decodeClientMessage(bytes: Uint8Array, maxBytes = DEFAULT_MAX_DECODE_BYTES): ClientMessage {
  const f = unpack(bytes, maxBytes);
  const type = f[0];
  switch (type) {
    case MessageType.UPDATE_PRESENCE:
      return { type, set: state(field(f, 1)), del: keys(field(f, 2)) };
    case MessageType.AUTH:
      return { type, token: str(field(f, 1), "token", 8192) };
    case MessageType.PING:
      return { type, t: num(field(f, 1), "t") };
    case MessageType.SYNC_REQUEST:
      return { type, syncId: uint(field(f, 1), "syncId") };
    case MessageType.RTT_REPORT:
      return { type, counts: arr(field(f, 1), "counts", 64).map((c) => uint(c, "count")) };
    case MessageType.SET_VIEW:
      return { type, view: field(f, 1) === null ? null : viewFromWire(arr(field(f, 1), "view", 16)) };
    case MessageType.BROADCAST:
      return { type, event: valueFromWire(field(f, 1)) };
    default:
      return malformed(`unknown client message type ${quote(type)}`);
  }
}

/**
 * Decodes a frame sent by a server. Throws ProtocolError("MALFORMED_MESSAGE") on anything else.
 * @param aliases the socket's alias table: given, the frame may be of revision 3 (entries
 *   naming connections by alias, compact moves; PROTOCOL.md §4), and the table learns and
 *   forgets aliases as entries pass. Revision-2 frames decode the same with or without it.
 */
export function decodeServerMessage(
  bytes: Uint8Array,
  maxBytes = DEFAULT_MAX_DECODE_BYTES,
  aliases?: EntryAliasTable,
): ServerMessage {
  const f = unpack(bytes, maxBytes);
  const type = f[0];
  switch (type) {
    case MessageType.WELCOME:
      return {
        type,
        connectionId: str(field(f, 1), "connectionId", 128),
        userId: str(field(f, 2), "userId", 256),
        epoch: uint(field(f, 3), "epoch"),
        serverTime: num(field(f, 4), "serverTime"),
        tokenExp: num(field(f, 5), "tokenExp"),
        limits: limitsFromWire(field(f, 6)),
        rttBuckets: arr(field(f, 7), "rttBuckets", 64).map((b) => num(b, "bucket")),
      };
    case MessageType.ERROR: {
      const code = str(field(f, 1), "error code", 64);
      if (!isErrorCode(code)) malformed(`unknown error code ${quote(code)}`);
      const fatal = field(f, 3);
      if (typeof fatal !== "boolean") malformed("fatal is not a boolean");
      if (fatal !== ERRORS[code].fatal) malformed(`fatal flag disagrees with ${code}`);
      return { type, code, message: str(field(f, 2), "error message"), fatal };
    }
    case MessageType.PONG:
      return { type, t: num(field(f, 1), "t"), serverTime: num(field(f, 2), "serverTime") };
    case MessageType.BATCH:
      return { type, entries: arr(field(f, 1), "entries").map((e) => clientEntryFromWire(e, aliases)) };
    case MessageType.SNAPSHOT_CHUNK:
      return {
        type,
        syncId: uint(field(f, 1), "syncId"),
        entries: arr(field(f, 2), "entries").map((e) => peerFromWire(e, aliases)),
      };
    case MessageType.SNAPSHOT_DONE: {
      const done = { type, syncId: uint(field(f, 1), "syncId"), total: uint(field(f, 2), "total") };
      aliases?.snapshotDone();
      return done;
    }
    case MessageType.OCCUPANCY:
      return {
        type,
        connections: uint(field(f, 1), "connections"),
        users: uint(field(f, 2), "users"),
        omitted: uint(field(f, 3), "omitted"),
      };
    case MessageType.EVENT:
      return {
        type,
        connectionId: str(field(f, 1), "connectionId", 128),
        userId: str(field(f, 2), "userId", 256),
        event: valueFromWire(field(f, 3)),
      };
    case MessageType.PEER_LOST:
      return { type, connectionId: str(field(f, 1), "connectionId", 128), epoch: uint(field(f, 2), "epoch") };
    default:
      return malformed(`unknown server message type ${quote(type)}`);
  }
}

/** The entries of a decoded BATCH as room entries (edge ⇄ pod ⇄ bus): `hide` is refused as MALFORMED_MESSAGE. */
export function roomEntries(entries: readonly ClientBatchEntry[]): readonly BatchEntry[] {
  for (const e of entries) if (e.kind === "hide") malformed("hide entries travel only to clients");
  return entries as readonly BatchEntry[];
}

/** Decodes encodeBatchEntries' output. Throws ProtocolError("MALFORMED_MESSAGE") on anything else. */
export function decodeBatchEntries(bytes: Uint8Array, maxBytes = DEFAULT_MAX_DECODE_BYTES): BatchEntry[] {
  return arr(unpackOne(bytes, maxBytes), "entries").map(entryFromWire);
}

/** Decodes encodePeers' output. Throws ProtocolError("MALFORMED_MESSAGE") on anything else. */
export function decodePeers(bytes: Uint8Array, maxBytes = DEFAULT_MAX_DECODE_BYTES): PeerState[] {
  return arr(unpackOne(bytes, maxBytes), "entries").map((e) => peerFromWire(e));
}

/** Decodes either direction (tools, tests, PROTOCOL.md examples). */
export function decodeAny(bytes: Uint8Array, maxBytes = DEFAULT_MAX_DECODE_BYTES): Message {
  const f = unpack(bytes, maxBytes);
  const clientTypes: readonly unknown[] = [
    MessageType.UPDATE_PRESENCE,
    MessageType.AUTH,
    MessageType.PING,
    MessageType.SYNC_REQUEST,
    MessageType.RTT_REPORT,
    MessageType.SET_VIEW,
    MessageType.BROADCAST,
  ];
  return clientTypes.includes(f[0])
    ? decodeClientMessage(bytes, maxBytes)
    : decodeServerMessage(bytes, maxBytes);
}
