// The edge's tunables that an operator can change with a flag: their defaults
// live here once, and the CLI's flag table (cli/flags.ts), the edge and
// docs/OPERATIONS.md all take them from here (a test checks the doc).

/** Longest wait before a room's pending updates are flushed, ms (`--tick-ms`). */
export const DEFAULT_TICK_MS = 16;

/** Connections per room in one process; more are refused with ROOM_FULL (`--max-room-connections`). */
export const DEFAULT_MAX_ROOM_CONNECTIONS = 20_000;

/**
 * Live connections per client address (`--max-conns-per-ip`) for the production
 * commands; `dev` binds loopback, where every client is the developer, and
 * defaults to 0 = unlimited (docs/SECURITY.md#connection-caps).
 */
export const DEFAULT_MAX_CONNS_PER_IP = 1000;
/** Live connections per token subject (`--max-conns-per-user`) for the production commands; dev: 0. */
export const DEFAULT_MAX_CONNS_PER_USER = 100;

/**
 * How long a client may take from TCP connect to complete request headers, and
 * from the upgrade to its join (token checked, room loaded), ms: a half-open
 * handshake holds a socket and parser state (docs/SECURITY.md#connection-caps).
 */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
