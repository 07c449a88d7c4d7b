// Every message of the WebSocket protocol, as readonly discriminated unions.
// Codes are grouped by feature with gaps, so features can grow without renumbering:
//   1–9 session, 10–19 liveness, 20–29 auth, 100–199 presence (110s views, 120s
//   occupancy, 130s broadcast events), 200–299 sync, 300–399 telemetry.
import type { ErrorCode } from "./errors.js";
import type { Json } from "./json.js";
import type { PresenceData } from "./presence-types.js";
import type { ViewSpec } from "./view.js";

/**
 * The highest protocol revision (PROTOCOL.md §1 `rev`): 2 adds EVENT and PEER_LOST (§9);
 * 3 adds entry aliases and compact moves (§4 "Revision 3"); 4 adds ratio moves (§4 "Revision 4").
 */
export const PROTOCOL_REVISION = 4;

/** The first revision whose BATCH and snapshot entries carry aliases (PROTOCOL.md §4). */
export const ALIAS_REVISION = 3;

/** The first revision whose compact moves may carry their coordinates as ratios (PROTOCOL.md §4 "Revision 4"). */
export const RATIO_REVISION = 4;

export const MessageType = {
  WELCOME: 1,
  ERROR: 2,
  PING: 10,
  PONG: 11,
  AUTH: 20,
  UPDATE_PRESENCE: 100,
  BATCH: 101,
  SET_VIEW: 110,
  OCCUPANCY: 120,
  BROADCAST: 130,
  EVENT: 131,
  PEER_LOST: 132,
  SYNC_REQUEST: 200,
  SNAPSHOT_CHUNK: 201,
  SNAPSHOT_DONE: 202,
  RTT_REPORT: 300,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Limits and budgets the server tells each client; the SDK obeys these, not its own constants. */
export interface WelcomeLimits {
  /** Token bucket refill, patches per second. */
  readonly ratePerSecond: number;
  /** Token bucket size. */
  readonly burst: number;
  readonly maxStateBytes: number;
  readonly maxMetaBytes: number;
  readonly maxFrameBytes: number;
  /** Server ping interval, ms. */
  readonly heartbeatMs: number;
  /**
   * Text keepalive interval, ms (PROTOCOL.md §4 "Keepalive"): present when the server
   * answers the text frame KEEPALIVE_PING with KEEPALIVE_PONG; the SDK then sends one
   * this often. Absent on servers that ping the client themselves (the Node edge).
   */
  readonly keepaliveMs?: number;
}

/** The keepalive request: a text frame, not a message of §2 (PROTOCOL.md §4 "Keepalive"). */
export const KEEPALIVE_PING = "ping";
/** The keepalive answer: a text frame, fixed, so a Durable Object's runtime can send it without waking it. */
export const KEEPALIVE_PONG = "pong";

// ---- client → server ----

/** Merge `set` into the sender's presence (shallow), then delete the keys of `del`. */
export interface UpdatePresenceMessage {
  readonly type: typeof MessageType.UPDATE_PRESENCE;
  readonly set: PresenceData;
  readonly del: readonly string[];
}
/** In-band token renewal. */
export interface AuthMessage {
  readonly type: typeof MessageType.AUTH;
  readonly token: string;
}
/** Application-level ping (browsers cannot send WebSocket pings). `t` is the client's clock, echoed. */
export interface PingMessage {
  readonly type: typeof MessageType.PING;
  readonly t: number;
}
/** Ask for a full room snapshot; `syncId` (≥ 1) comes back in its chunks and done message. */
export interface SyncRequestMessage {
  readonly type: typeof MessageType.SYNC_REQUEST;
  readonly syncId: number;
}
/** Round-trip counts since the last report, one per bucket of the welcome's `rttBuckets` plus +Inf. */
export interface RttReportMessage {
  readonly type: typeof MessageType.RTT_REPORT;
  readonly counts: readonly number[];
}

/** Declares (or replaces) what this connection wants to be sent of the room (PROTOCOL.md §8); null: the room's default again. */
export interface SetViewMessage {
  readonly type: typeof MessageType.SET_VIEW;
  readonly view: ViewSpec | null;
}

/** A fire-and-forget event to the room's other connections (PROTOCOL.md §9): never stored, never resent. */
export interface BroadcastMessage {
  readonly type: typeof MessageType.BROADCAST;
  readonly event: Json;
}

export type ClientMessage =
  | UpdatePresenceMessage
  | BroadcastMessage
  | SetViewMessage
  | AuthMessage
  | PingMessage
  | SyncRequestMessage
  | RttReportMessage;

// ---- server → client ----

export interface WelcomeMessage {
  readonly type: typeof MessageType.WELCOME;
  readonly connectionId: string;
  readonly userId: string;
  /** The epoch of this connect (PROTOCOL.md §5); the edge numbers this socket's patches from clock 1. */
  readonly epoch: number;
  /** Server wall clock, ms since the Unix epoch. */
  readonly serverTime: number;
  /** Token expiry, seconds since the Unix epoch: renew before it. */
  readonly tokenExp: number;
  readonly limits: WelcomeLimits;
  /** Upper bounds (ms) of the RTT histogram buckets. */
  readonly rttBuckets: readonly number[];
}
export interface ErrorMessage {
  readonly type: typeof MessageType.ERROR;
  readonly code: ErrorCode;
  readonly message: string;
  readonly fatal: boolean;
}
export interface PongMessage {
  readonly type: typeof MessageType.PONG;
  readonly t: number;
  readonly serverTime: number;
}

/** Full versioned state of one connection: in `enter` entries and snapshots. */
export interface PeerState {
  readonly connectionId: string;
  readonly userId: string;
  readonly info: Json | undefined;
  readonly epoch: number;
  readonly clock: number;
  readonly state: PresenceData;
}

export type LeaveReason = "left" | "expired";

export interface EnterEntry extends PeerState {
  readonly kind: "enter";
}
/** A (possibly coalesced) update covering clocks (base, clock] of one epoch. */
export interface UpdateEntry {
  readonly kind: "update";
  readonly connectionId: string;
  readonly epoch: number;
  readonly base: number;
  readonly clock: number;
  readonly set: PresenceData;
  readonly del: readonly string[];
}
/** The connection is gone; `clock` is the last version it had (for `expired` floors). */
export interface LeaveEntry {
  readonly kind: "leave";
  readonly connectionId: string;
  readonly epoch: number;
  readonly clock: number;
  readonly reason: LeaveReason;
}
/**
 * The connection is still in the room but has left this client's view: forget it
 * without a floor (a later `enter` brings it back). Sent only to connections with a view.
 */
export interface HideEntry {
  readonly kind: "hide";
  readonly connectionId: string;
}
/** Entries every tier carries (edge ⇄ pod ⇄ bus) and clients receive. */
export type BatchEntry = EnterEntry | UpdateEntry | LeaveEntry;
/** Entries of a BATCH to a client: the room's entries plus, for a connection with a view, `hide`. */
export type ClientBatchEntry = BatchEntry | HideEntry;

/** All updates of one room flush: one frame, encoded once, written to every socket. */
export interface BatchMessage {
  readonly type: typeof MessageType.BATCH;
  readonly entries: readonly ClientBatchEntry[];
}
export interface SnapshotChunkMessage {
  readonly type: typeof MessageType.SNAPSHOT_CHUNK;
  /** 0 for server-initiated snapshots (join, back-pressure recovery). */
  readonly syncId: number;
  readonly entries: readonly PeerState[];
}
export interface SnapshotDoneMessage {
  readonly type: typeof MessageType.SNAPSHOT_DONE;
  readonly syncId: number;
  /** Number of entries over all chunks of this snapshot. */
  readonly total: number;
}

/** The room's exact size and what this connection's view left out, at most once per flush. */
export interface OccupancyMessage {
  readonly type: typeof MessageType.OCCUPANCY;
  /** Connections in the room. */
  readonly connections: number;
  /** Distinct users in the room. */
  readonly users: number;
  /** Entries this connection's window matched beyond its cap (not sent). */
  readonly omitted: number;
}

/** Another connection's BROADCAST, to connections of protocol revision 2 (PROTOCOL.md §9). */
export interface EventMessage {
  readonly type: typeof MessageType.EVENT;
  readonly connectionId: string;
  readonly userId: string;
  readonly event: Json;
}

/**
 * A connection dropped without a goodbye (PROTOCOL.md §9, revision 2): it stays in the room
 * for the grace window and then expires, unless it reconnects (a newer epoch) first.
 */
export interface PeerLostMessage {
  readonly type: typeof MessageType.PEER_LOST;
  readonly connectionId: string;
  readonly epoch: number;
}

/** Server messages relayed live to every edge of a room and never stored (PROTOCOL.md §9). */
export type RelayedMessage = EventMessage | PeerLostMessage;

export type ServerMessage =
  | WelcomeMessage
  | EventMessage
  | PeerLostMessage
  | OccupancyMessage
  | ErrorMessage
  | PongMessage
  | BatchMessage
  | SnapshotChunkMessage
  | SnapshotDoneMessage;

export type Message = ClientMessage | ServerMessage;

export function assertNever(value: never): never {
  throw new TypeError(`unexpected value: ${JSON.stringify(value)}`);
}
