// Public types of the SDK (packages/client/README.md#behaviour). Presence is any object type `P`: the
// constraint is `P extends object` (not an index signature), so interfaces such
// as the plan's `PresenceState` work without `extends Record<string, …>`.
import type { ErrorCode, Json, Patch, PresenceData, Rect } from "@collabblocks/protocol";
import type { Inbound } from "./sealed-inbound.js";

export type { Json };

/** Connection status of a room, as apps see it. */
export type Status = "initial" | "connecting" | "connected" | "reconnecting" | "disconnected";

/** A connection in the room: its presence fields at the top level, plus identity. */
export type User<P extends object> = P & {
  connectionId: string;
  userId: string;
  info?: Json;
  /**
   * Set while the server says this connection dropped without a goodbye and may come back
   * (PROTOCOL.md §9 PEER_LOST): show it faded, not gone. Cleared when it returns, removed with it.
   */
  reconnecting?: true;
};

/**
 * Error codes of the `error` event: the protocol's codes (PROTOCOL.md §7) plus
 * `AUTH_FAILED` (the auth endpoint or callback failed to produce a token) and
 * `ENCRYPT_FAILED` (encrypted presence: the key resolver or WebCrypto failed; the patch was not sent).
 */
export type ClientErrorCode = ErrorCode | "AUTH_FAILED" | "ENCRYPT_FAILED";

/** A broadcast event from another connection of the room: fire-and-forget, never stored or resent. */
export interface RoomEvent<P extends object, E = Json> {
  readonly connectionId: string;
  readonly userId: string;
  /** The sender as this client holds it; undefined when it is outside this client's view (PROTOCOL.md §8). */
  readonly user: User<P> | undefined;
  readonly event: E;
}

export interface PresenceError {
  readonly code: ClientErrorCode;
  readonly message: string;
  /** True when the connection was closed because of it (see the retry policy in the README). */
  readonly fatal: boolean;
}

/** What changed in `others`. `reset` replaces the whole list (a snapshot, or a lost connection). */
export type OthersEvent<P extends object> =
  | { readonly type: "enter"; readonly user: User<P> }
  | { readonly type: "update"; readonly user: User<P>; readonly previous: User<P> }
  /** `hidden`: still in the room, but out of this client's view (PROTOCOL.md §8). */
  | { readonly type: "leave"; readonly user: User<P>; readonly reason: "left" | "expired" | "hidden" }
  | { readonly type: "reset" };

/** One user of the room, whatever their number of connections (Room.getUsers). */
export interface PresenceUser<P extends object> {
  readonly userId: string;
  /** The token's `info` of the most recent connection. */
  readonly info: unknown;
  /** The user's connections, most recently active first. */
  readonly connections: readonly User<P>[];
  /** The most recently active connection's presence (what an avatar or cursor shows). */
  readonly presence: User<P>;
}

/**
 * `lost`: reconnecting has taken longer than `lostConnectionTimeout` (others were cleared);
 * `restored`: connected again after a `lost`; `failed`: the SDK gave up (a fatal error without retry).
 */
export type LostConnectionEvent = "lost" | "restored" | "failed";

export interface RoomEvents<P extends object> {
  others: (others: readonly User<P>[], event: OthersEvent<P>) => void;
  "my-presence": (presence: P) => void;
  status: (status: Status) => void;
  error: (error: PresenceError) => void;
  "lost-connection": (event: LostConnectionEvent) => void;
  occupancy: (occupancy: Occupancy) => void;
  /** Another connection's `room.broadcast(event)` (PROTOCOL.md §9). */
  event: (event: RoomEvent<P>) => void;
  /** Encrypted presence: a peer's sealed value was refused (docs/E2EE.md). */
  "decrypt-error": (error: DecryptError) => void;
}

/**
 * Why a sealed state was refused. `DECRYPT_FAILED`: wrong key, or it was tampered with, moved to
 * another connection or room, or relabelled (AES-GCM does not say which); `REPLAYED`: not newer
 * than the last one accepted from that connection; `UNKNOWN_KEY`: the key resolver knows no key
 * with its id (the fields show as `Locked`; reported once per connection and key id);
 * `NOT_SEALED`: a clear value for a field this room seals; `MALFORMED_ENVELOPE`; `INVALID_VALUE`:
 * decrypted, but not valid presence (PROTOCOL.md §6).
 */
export type DecryptErrorCode =
  | "DECRYPT_FAILED"
  | "REPLAYED"
  | "UNKNOWN_KEY"
  | "NOT_SEALED"
  | "MALFORMED_ENVELOPE"
  | "INVALID_VALUE";

export interface DecryptError {
  readonly code: DecryptErrorCode;
  /** The peer whose sealed state (or clear value) was refused. */
  readonly connectionId: string;
  /** The fields it named (its clear header; none when unreadable): absent for that peer, or `Locked` for UNKNOWN_KEY. */
  readonly fields: readonly string[];
  readonly message: string;
}

/** What a room gives encryption (room-encryption.ts). */
export interface RoomCryptoContext {
  readonly roomId: string;
  /** The initial view's position field (`view.field`, default `cursor`). */
  readonly positionField: string | undefined;
  readonly connectionId: () => string;
  /** The current epoch (0 before the first welcome). */
  readonly epoch: () => number;
  readonly onDecryptError: (error: DecryptError) => void;
}

/** Encryption for one room session, as room.ts calls it. */
export interface RoomCrypto {
  /** The patch's wire form (sealed fields in one sealed state under "~"); sync without sealed fields. `state`: the clear presence after it. */
  seal(patch: Patch, state: PresenceData): Patch | Promise<Patch>;
  /** Starts decrypting an inbound message; call the result in arrival order. */
  open<M extends Inbound>(msg: M): (() => M) | Promise<() => M>;
  /** Why `state` cannot be sent sealed (a reserved key, or too large once sealed), or null. */
  check(state: PresenceData): PresenceError | null;
}

/**
 * `enterRoom`'s `encryption`: made by `encryptedPresence({ key, fields? })` from
 * `@collabblocks/client/e2ee` (docs/E2EE.md#using-it), a separate entry that apps without
 * encryption never bundle.
 */
export interface EncryptionOptions {
  /** Starts encryption for one room session. */
  readonly createRoomCrypto: (context: RoomCryptoContext) => RoomCrypto;
}

/** The room's exact size (PROTOCOL.md §8 OCCUPANCY), whatever this client's view. */
export interface Occupancy {
  /** Connections in the room. */
  readonly connections: number;
  /** Distinct users in the room. */
  readonly users: number;
  /** Entries this client's window matched beyond its cap (not sent). */
  readonly omitted: number;
}

/**
 * What this client wants to be sent of a large room (PROTOCOL.md §8). Unset fields
 * take defaults: no window, field `cursor`, no pinned users, cap 100, no roster.
 */
export interface ViewInput {
  /** The window in the room's position space (the units of your `field`, e.g. your canvas pixels). */
  readonly rect?: Rect | null;
  /** Presence field holding `{x, y}`. */
  readonly field?: string;
  /** Users always sent, wherever they are (≤ 64). */
  readonly pinned?: readonly string[];
  /** Most entries the window sends (0–1000); the most recently active win. */
  readonly cap?: number;
  /** The first N members by join order, always sent (an avatar stack; 0–100). */
  readonly roster?: number;
  /** Send everyone, whatever the room's size. */
  readonly everyone?: boolean;
}

export interface Room<P extends object> {
  readonly id: string;
  /** This room session's connectionId, from the server's first WELCOME ("" until then), kept across reconnects (PROTOCOL.md §1). */
  readonly connectionId: string;
  /**
   * Shallow-merges `patch` into my presence; a key set to `undefined` is deleted.
   * Invalid presence (PROTOCOL.md §7) changes nothing and emits an `error` event
   * (`INVALID_PRESENCE` / `PRESENCE_TOO_LARGE`, fatal: false); a non-object throws TypeError.
   */
  updatePresence(patch: Partial<P>): void;
  getPresence(): P;
  /** Me as others see me; null until the first welcome (userId comes from the token). */
  getSelf(): User<P> | null;
  /** Everyone else. The array and each User keep their identity while nothing about them changed. */
  getOthers(): readonly User<P>[];
  getOther(connectionId: string): User<P> | undefined;
  /**
   * Everyone else, one entry per user (a person with three tabs is one entry): their
   * connections, most recently active first, and that connection's presence. Same
   * identity rules as getOthers.
   */
  getUsers(): readonly PresenceUser<P>[];
  getStatus(): Status;
  /**
   * Sends a fire-and-forget event to the room's other connections (PROTOCOL.md §9): they get it
   * as an `event`; it is never stored or resent. Returns false, sending nothing, while not
   * connected, and when the event is invalid (`INVALID_EVENT`: not JSON-like, or over 2 KB
   * encoded) or the rate budget it shares with presence is spent (`RATE_LIMITED`); those two
   * also emit an `error` event (fatal: false).
   */
  broadcast(event: Json): boolean;
  subscribe<E extends keyof RoomEvents<P>>(event: E, callback: RoomEvents<P>[E]): () => void;
  /**
   * Declares what this client wants to be sent of the room (PROTOCOL.md §8), kept across
   * reconnects; null returns to the room's default (everyone in rooms ≤ 1 000 connections).
   * An invalid view changes nothing and emits an `error` event (`INVALID_VIEW`).
   */
  setView(view: ViewInput | null): void;
  getView(): ViewInput | null;
  /**
   * The room's size: as the server reports it (large rooms, or with a view), otherwise
   * counted from this client's others (small rooms send everyone). Null before joining.
   */
  getOccupancy(): Occupancy | null;
  /** Starts connecting; only needed after `enterRoom(…, { autoConnect: false })`. Idempotent. */
  connect(): void;
}

export interface EnterRoomOptions<P extends object> {
  initialPresence: P;
  /** Default true. False creates the room without I/O (SSR, React render); call `room.connect()` later. */
  autoConnect?: boolean;
  /** The view to declare at every join (see `Room.setView`). A bad view throws ProtocolError here. */
  view?: ViewInput | null;
  /** Seal presence fields end to end: the server relays what it cannot read (docs/E2EE.md). */
  encryption?: EncryptionOptions;
}

export interface EnterRoomResult<P extends object> {
  readonly room: Room<P>;
  /** Closes the socket (peers see a `left` leave) and stops every timer. Idempotent. */
  readonly leave: () => void;
}

export interface Client {
  enterRoom<P extends object>(roomId: string, options: EnterRoomOptions<P>): EnterRoomResult<P>;
  /** Leaves every room entered through this client. */
  destroy(): void;
}
