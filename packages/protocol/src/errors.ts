// Error codes and close codes (PROTOCOL.md §7). The code strings are the contract;
// codes may be added, never renamed.

/** What an SDK does after receiving an error with this code. */
export type RetryPolicy =
  | "none" // not fatal: the connection stays open, the state is unchanged
  | "new-token-backoff" // fetch a new token, reconnect with backoff
  | "new-token-now" // fetch a new token, reconnect at once
  | "never" // give up: needs a user or app action
  | "slow-backoff" // reconnect with a long backoff
  | "new-identity" // reconnect at once with a fresh identity key (a new connectionId)
  | "now"; // reconnect at once (to another server)

export interface ErrorSpec {
  readonly fatal: boolean;
  /** WebSocket close code sent with a fatal error; undefined when not fatal. */
  readonly closeCode: number | undefined;
  readonly retry: RetryPolicy;
}

export const ERRORS = {
  MALFORMED_MESSAGE: { fatal: false, closeCode: undefined, retry: "none" },
  INVALID_PRESENCE: { fatal: false, closeCode: undefined, retry: "none" },
  PRESENCE_TOO_LARGE: { fatal: false, closeCode: undefined, retry: "none" },
  RATE_LIMITED: { fatal: false, closeCode: undefined, retry: "none" },
  INVALID_TOKEN: { fatal: true, closeCode: 4001, retry: "new-token-backoff" },
  ROOM_MISMATCH: { fatal: true, closeCode: 4003, retry: "new-token-backoff" },
  TOKEN_TOO_LONG_LIVED: { fatal: true, closeCode: 4001, retry: "new-token-backoff" },
  TOKEN_EXPIRED: { fatal: true, closeCode: 4001, retry: "new-token-now" },
  PLAN_NOT_ENABLED: { fatal: true, closeCode: 4003, retry: "never" },
  FORBIDDEN: { fatal: true, closeCode: 4003, retry: "never" },
  ROOM_FULL: { fatal: true, closeCode: 4005, retry: "slow-backoff" },
  SESSION_REPLACED: { fatal: true, closeCode: 4009, retry: "never" },
  SERVER_SHUTTING_DOWN: { fatal: true, closeCode: 1012, retry: "now" },
  // Added codes (PROTOCOL.md §7 allows additions).
  /** The roomId or connect URL does not match the grammar. */
  INVALID_ROOM: { fatal: true, closeCode: 4000, retry: "never" },
  /** Sustained abuse after RATE_LIMITED errors (or too many bad messages). */
  ABUSIVE_CLIENT: { fatal: true, closeCode: 4008, retry: "slow-backoff" },
  /** `--max-conns-per-ip` reached or the address is denied. */
  TOO_MANY_CONNECTIONS: { fatal: true, closeCode: 4029, retry: "slow-backoff" },
  /** A SET_VIEW with bad bounds, too many pinned users, an empty field name or a cap out of range. */
  INVALID_VIEW: { fatal: false, closeCode: undefined, retry: "none" },
  /** No pod can serve the room right now (split mode). */
  UNAVAILABLE: { fatal: true, closeCode: 1013, retry: "slow-backoff" },
  /** The socket stopped reading: more than the per-socket buffer limit waits unsent (PROTOCOL.md §6). */
  SLOW_CONSUMER: { fatal: true, closeCode: 4010, retry: "slow-backoff" },
  /** The requested connectionId is bound to another user, or is a derived id asked for without its key (PROTOCOL.md §1). */
  CONNECTION_ID_TAKEN: { fatal: true, closeCode: 4011, retry: "new-identity" },
  /** A BROADCAST whose event is not a JSON-like value or is over MAX_EVENT_BYTES encoded (PROTOCOL.md §9). */
  INVALID_EVENT: { fatal: false, closeCode: undefined, retry: "none" },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERRORS, code);
}

/** A peer or protocol fault with a stable code. Thrown by the codec and validators. */
export class ProtocolError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
  }
  get fatal(): boolean {
    return ERRORS[this.code].fatal;
  }
  get closeCode(): number | undefined {
    return ERRORS[this.code].closeCode;
  }
}
