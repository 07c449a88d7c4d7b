// The edge's tunables that an operator can change with a flag: their defaults
// live here once, and the CLI's flag table (cli/flags.ts), the edge and
// docs/OPERATIONS.md all take them from here (a test checks the doc).

/** Longest wait before a room's pending updates are flushed, ms (`--tick-ms`). */
export const DEFAULT_TICK_MS = 16;

/** Connections per room in one process; more are refused with ROOM_FULL (`--max-room-connections`). */
export const DEFAULT_MAX_ROOM_CONNECTIONS = 20_000;

/** Live connections per client address; 0 = unlimited (`--max-conns-per-ip`). */
export const DEFAULT_MAX_CONNS_PER_IP = 0;
