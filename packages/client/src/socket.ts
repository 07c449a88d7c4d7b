// The part of the WebSocket API the SDK uses. Browsers' WebSocket and the `ws`
// package both fit: handlers are typed `(event: never) => unknown` so that any
// implementation's own event types are accepted (a handler receiving a narrower
// type than ours would otherwise be refused under strictFunctionTypes).

export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  /** Binary frames, and the text keepalive (PROTOCOL.md §4 "Keepalive"). */
  send(data: Uint8Array | string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: never) => unknown) | null;
  onmessage: ((event: never) => unknown) | null;
  onclose: ((event: never) => unknown) | null;
  onerror: ((event: never) => unknown) | null;
}

/** `protocols`: the SDK offers its subprotocol and the token (PROTOCOL.md §1). */
export type WebSocketConstructor = new (url: string, protocols?: string[]) => WebSocketLike;

/** What the SDK reads from a message event. */
export interface MessageEventLike {
  readonly data: unknown;
}
/** What the SDK reads from a close event. */
export interface CloseEventLike {
  readonly code: number;
  readonly reason: string;
}

/** WebSocket.OPEN: the only readyState the SDK sends in. */
export const OPEN = 1;

/**
 * A frame's bytes: ArrayBuffer with binaryType "arraybuffer" (browsers, ws), or a
 * Buffer/Uint8Array from implementations that ignore binaryType. Text frames → null.
 */
export function frameBytes(data: unknown): Uint8Array | null {
  // Not `instanceof ArrayBuffer`: a buffer from another realm (iframe, jsdom, vm) fails that test.
  if (Object.prototype.toString.call(data) === "[object ArrayBuffer]")
    return new Uint8Array(data as ArrayBuffer);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}

/** Detaches every handler and closes without waiting: a half-open socket may never report `close`. */
export function abandonSocket(socket: WebSocketLike, code: number, reason: string): void {
  socket.onopen = null;
  socket.onmessage = null;
  socket.onclose = null;
  // Keep a no-op error handler: some implementations throw on an unhandled 'error'.
  socket.onerror = () => {};
  try {
    socket.close(code, reason);
  } catch {
    // Closing a socket that is still CONNECTING throws in some implementations; it is gone either way.
  }
}
