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
//
// Frame once, write many (docs/ARCHITECTURE.md#the-edge): a frame that goes to
// many sockets is framed once (`preframe`: ws's own framer, header and payload in
// one buffer) and its bytes are written straight to each socket, so the work per
// socket is a back-pressure check and one write — no options, no header, no
// cork/writev of two buffers. That reaches into ws's internals (`_socket`, and
// `_sender`'s queue state, so raw bytes never overtake a frame ws still holds);
// the release is pinned (WS_INTERNALS_VERSION, exact in package.json) and
// socket-writes.test.ts fails on any other.
import { Buffer } from "node:buffer";
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import * as wsModule from "ws";

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

/** The ws release whose internals writeFramed relies on; socket-writes.test.ts fails on any other. */
export const WS_INTERNALS_VERSION = "8.23.0";

/** A binary frame ready for the wire: the message, and its WebSocket framing built once. */
export interface Framed {
  /** The message (what the metrics count). */
  readonly payload: Uint8Array;
  /** Header and payload, one buffer: the bytes written to each socket. */
  readonly wire: Buffer;
}

interface WsFramer {
  frame(
    data: Buffer,
    options: { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean },
  ): Buffer[];
}
/** ws's framer (`Sender.frame`, exported by ws but not typed by @types/ws). */
const framer = (wsModule as unknown as { Sender: WsFramer }).Sender;
const OPCODE_BINARY = 2;

/** Frames a message once (unmasked, as a server sends), for writeFramed. */
export function preframe(payload: Uint8Array): Framed {
  const data = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const parts = framer.frame(data, {
    fin: true,
    rsv1: false,
    opcode: OPCODE_BINARY,
    mask: false,
    readOnly: false,
  });
  return { payload, wire: parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts) };
}

/** What writeFramed reads of a ws socket (ws 8.23 internals). */
interface WsInternals {
  readonly _socket: Duplex | null;
  readonly _sender: { readonly _state: number; readonly _queue: readonly unknown[] } | undefined;
}
/** ws's sender state with nothing in progress (lib/sender.js DEFAULT). */
const SENDER_IDLE = 0;

/** The socket's TCP stream when raw bytes may go straight to it (ws holds nothing queued); else null. */
function rawStream(ws: WebSocket): Duplex | null {
  const internals = ws as unknown as WsInternals;
  const sender = internals._sender;
  if (sender === undefined || sender._state !== SENDER_IDLE || sender._queue.length > 0) return null;
  return internals._socket;
}

/** An unmasked ping with no payload, as a server sends it (RFC 6455 §5.5.2): FIN + opcode 0x9, length 0. */
const PING_FRAME = Buffer.from([0x89, 0x00]);

/** The owner of a socket that liveness may owe a ping (liveness.ts): it rides the next frame written raw. */
export interface PingCarrier {
  pingOwed: boolean;
}

/**
 * Writes pre-framed frames the caller has already decided this socket gets, in
 * one write (one syscall) when there are several, with the ping `carrier` is
 * owed; through ws.send when ws holds queued frames of its own (an owed ping then
 * stays owed, and liveness writes it when it is due).
 */
export function writeFramed(ws: WebSocket, first: Framed, rider?: Framed, carrier?: PingCarrier): void {
  if (ws.readyState !== ws.OPEN) return;
  const stream = rawStream(ws);
  if (stream === null) {
    ws.send(first.payload, SEND_OPTIONS);
    if (rider !== undefined) ws.send(rider.payload, SEND_OPTIONS);
    return;
  }
  const ping = carrier?.pingOwed === true;
  if (!ping && rider === undefined) {
    stream.write(first.wire);
    return;
  }
  if (ping) (carrier as PingCarrier).pingOwed = false;
  const parts = rider === undefined ? [first.wire] : [first.wire, rider.wire];
  if (ping) parts.push(PING_FRAME);
  stream.write(Buffer.concat(parts));
}

/** writeFramed for a reply (an OCCUPANCY): not written while the socket is behind; returns whether it was. */
export function writeFramedReply(ws: WebSocket, frame: Framed, carrier?: PingCarrier): boolean {
  if (ws.readyState !== ws.OPEN || !keepsUp(ws)) return false;
  writeFramed(ws, frame, undefined, carrier);
  return true;
}

/**
 * Pings the socket: the two bytes straight to its stream when ws holds nothing
 * queued (one write; ws.ping frames a header and an empty payload and writes both
 * corked, and 10 000 sockets take 5 000 pings a second), else through ws.
 */
export function writePing(ws: WebSocket): void {
  if (ws.readyState !== ws.OPEN) return;
  const stream = rawStream(ws);
  if (stream === null) ws.ping();
  else stream.write(PING_FRAME);
}

/** Runs `write` with the socket corked, so the frames it writes leave in one syscall (a join's WELCOME and snapshot). */
export function corked(ws: WebSocket, write: () => void): void {
  const stream = (ws as unknown as WsInternals)._socket;
  stream?.cork();
  try {
    write();
  } finally {
    stream?.uncork();
  }
}

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
