// The one way the edge writes to a client socket (docs/SECURITY.md#memory).
// Memory is bounded per connection whatever the client does, because every
// frame goes through here and is one of three kinds:
//  - a reply (PONG, a non-fatal ERROR, OCCUPANCY): dropped while the socket is
//    behind, so a client that sends but never reads cannot make us buffer;
//  - a frame the room decided to write after its own back-pressure check
//    (fan-out batches, snapshots; slow-members.ts coalesces or defers for a socket
//    that is behind, it never queues without bound);
//  - a frame owed once per connection (WELCOME, the fatal ERROR before a close).
// Nothing else in the edge calls `ws.send` (checks/socket-writes.test.ts).
import type { WebSocket } from "ws";

/** A socket is behind when more than this many bytes wait in Node's buffers (docs/ARCHITECTURE.md#the-edge). */
export const BACKPRESSURE_BYTES = 32 * 1024;
/**
 * The most a socket may hold in Node's buffers, bytes: back-pressure plus the
 * largest snapshot a room can owe one connection (a 1 000-member room at the 2 KB
 * state limit, or a large-room view of 1 164 entries). Past it the connection is
 * closed with SLOW_CONSUMER; the other rules keep honest sockets far below it.
 */
export const SOCKET_BUFFER_LIMIT_BYTES = 4 * 1024 * 1024;

/** ws send options for pre-encoded frames: binary, never compressed. */
const SEND_OPTIONS = { binary: true, compress: false } as const;

/** Is the socket keeping up (at most BACKPRESSURE_BYTES waiting)? */
export function keepsUp(ws: WebSocket): boolean {
  return ws.bufferedAmount <= BACKPRESSURE_BYTES;
}

/** Has the socket gone past SOCKET_BUFFER_LIMIT_BYTES? */
export function overLimit(ws: WebSocket): boolean {
  return ws.bufferedAmount > SOCKET_BUFFER_LIMIT_BYTES;
}

// Tried and not adopted (4 December 2026): corking every socket a room's flush
// writes, so a batch and an OCCUPANCY leave in one writev. One L1 run gave p95
// 97 ms and 60 µs per frame against 46–67 ms and 38–56 µs for this build — no gain
// within this machine's spread, and every socket's bytes wait for the end of the
// flush (docs/BENCHMARKS.md, L1).

/** Writes a frame the caller has already decided this socket gets. */
export function writeFrame(ws: WebSocket, frame: Uint8Array): void {
  if (ws.readyState === ws.OPEN) ws.send(frame, SEND_OPTIONS);
}

/** Writes a reply unless the socket is behind; returns whether it was written. */
export function writeReply(ws: WebSocket, frame: Uint8Array): boolean {
  if (ws.readyState !== ws.OPEN || !keepsUp(ws)) return false;
  ws.send(frame, SEND_OPTIONS);
  return true;
}
