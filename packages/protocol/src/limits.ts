// The limits of PROTOCOL.md §6, in one place. Servers enforce them; the SDK reads the
// rate budget from the welcome message rather than from here, so a server can
// tighten them without a client release.

/** Largest encoded presence state, in bytes (compact wire encoding, see state-codec.ts). */
export const MAX_STATE_BYTES = 2048;
/** Largest encoded broadcast event, in bytes (PROTOCOL.md §9): the same budget as a presence state. */
export const MAX_EVENT_BYTES = MAX_STATE_BYTES;
/** Largest encoded `meta` field, in bytes. */
export const MAX_META_BYTES = 1024;
/** Longest `status` string, in UTF-16 code units. */
export const MAX_STATUS_LENGTH = 64;
/** Longest `avatar` URL, in characters. */
export const MAX_AVATAR_LENGTH = 2048;
/** Largest inbound WebSocket frame, in bytes; larger frames are closed with 1009. */
export const MAX_INBOUND_FRAME_BYTES = 4096;
/** Largest encoded snapshot chunk, in bytes. */
export const MAX_SNAPSHOT_CHUNK_BYTES = 64 * 1024;
/** Token bucket per connection: sustained patches per second. */
export const RATE_PER_SECOND = 20;
/** Token bucket per connection: burst size. */
export const RATE_BURST = 5;
/** Longest token lifetime accepted, in seconds: `exp - max(iat, now)`. */
export const MAX_TOKEN_LIFETIME_S = 900;
/**
 * Clock leeway for token time claims, in seconds: a few seconds of skew between the
 * token issuer and the edge. It was 30 s, which let a token expired 29 s ago join.
 */
export const TOKEN_LEEWAY_S = 5;
/** Server ping interval, in ms; two missed pongs expire the connection. */
export const HEARTBEAT_MS = 2000;
/** Deepest nesting accepted inside a presence value (objects and arrays). */
export const MAX_VALUE_DEPTH = 16;
/**
 * Bucket upper bounds of `presence_rtt_ms`, in ms. Sent in the welcome message so
 * SDK reports and the server histogram agree; includes 40 (the DoD's p95 bound).
 */
export const RTT_BUCKETS_MS: readonly number[] = [
  1, 2, 5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 300, 500,
];
/** roomId grammar, after percent-decoding (docs/ARCHITECTURE.md#the-edge). */
export const ROOM_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
/** connectionId grammar: 128 random bits as base64url is 22 characters; we accept 16–64. */
export const CONNECTION_ID_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

export function isValidRoomId(roomId: string): boolean {
  return ROOM_ID_PATTERN.test(roomId);
}

export function isValidConnectionId(connectionId: string): boolean {
  return CONNECTION_ID_PATTERN.test(connectionId);
}

/**
 * Identity key grammar (PROTOCOL.md §1): the secret an SDK keeps for a room
 * session; the server derives the connectionId from it and the token's `sub`.
 */
export const IDENTITY_KEY_PATTERN = /^[A-Za-z0-9_-]{22,64}$/;
/** The form of a connectionId derived from an identity key: `K` and 23 base64url characters. */
export const DERIVED_CONNECTION_ID_PATTERN = /^K[A-Za-z0-9_-]{23}$/;

/** Longest token `sub` (a user id), characters (PROTOCOL.md §1). */
export const MAX_SUB_LENGTH = 256;
/** Characters a `sub` may not hold (PROTOCOL.md §1): controls, format characters, line and paragraph separators. */
const SUB_FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
/** Longest `plan` claim, characters. */
export const MAX_PLAN_LENGTH = 64;

/** Is this a valid token `sub`: 1–256 characters, none of them control, format or separator characters? */
export function isValidSubject(sub: string): boolean {
  return sub.length > 0 && sub.length <= MAX_SUB_LENGTH && !SUB_FORBIDDEN.test(sub);
}

export function isValidIdentityKey(key: string): boolean {
  return IDENTITY_KEY_PATTERN.test(key);
}

/** Largest common denominator of a ratio move (PROTOCOL.md §4 "Revision 4"): a MsgPack uint16. */
export const MAX_RATIO_DENOMINATOR = 0xffff;
