// A fake WebSocket with a scriptable server side. Frames cross it encoded with the
// protocol's codec in both directions (encode ServerMessage, decodeClientMessage
// with the server's 4 KB inbound limit), so wire compatibility is exercised for real.
import {
  type ClientMessage,
  decodeClientMessage,
  encode,
  KEEPALIVE_PING,
  KEEPALIVE_PONG,
  MAX_INBOUND_FRAME_BYTES,
  MessageType,
  type ServerMessage,
  tokenFromSubprotocols,
} from "@collabblocks/protocol";
import type { CloseEventLike, MessageEventLike, WebSocketConstructor, WebSocketLike } from "../socket.js";

type Handler<E> = ((event: E) => unknown) | null;

export class FakeSocket implements WebSocketLike {
  binaryType = "blob";
  readyState = 0;
  onopen: ((event: never) => unknown) | null = null;
  onmessage: ((event: never) => unknown) | null = null;
  onclose: ((event: never) => unknown) | null = null;
  onerror: ((event: never) => unknown) | null = null;
  readonly url: URL;
  /** Every frame the client sent, decoded. */
  readonly received: ClientMessage[] = [];
  /** Every text frame the client sent (keepalives). */
  readonly textSent: string[] = [];
  /** Set when the client closed the socket. */
  closedByClient: { code: number | undefined; reason: string | undefined } | undefined;
  /** Called for each client frame (the fake server's logic). */
  onClientMessage: ((message: ClientMessage) => void) | undefined;
  /** Answer PING with PONG (serverTime = the client's t), as a live server does. */
  autoPong = true;

  /** The subprotocols the client offered (PROTOCOL.md §1: ours and the token). */
  readonly protocols: readonly string[];

  constructor(url: string, protocols: string[] = []) {
    this.url = new URL(url);
    this.protocols = protocols;
  }

  // ---- client side (what the SDK calls) ----
  send(data: Uint8Array | string): void {
    if (this.readyState !== 1) throw new Error("socket is not open");
    if (typeof data === "string") {
      // The text keepalive (PROTOCOL.md §4): answered like the Durable Object edge's runtime does.
      this.textSent.push(data);
      if (data === KEEPALIVE_PING && this.autoPong) this.deliverData(KEEPALIVE_PONG);
      return;
    }
    // Copy into this realm's Uint8Array: under jsdom, Buffers come from Node's realm.
    const message = decodeClientMessage(Uint8Array.from(data), MAX_INBOUND_FRAME_BYTES);
    this.received.push(message);
    if (message.type === MessageType.PING && this.autoPong) {
      this.deliver({ type: MessageType.PONG, t: message.t, serverTime: message.t });
    }
    this.onClientMessage?.(message);
  }
  close(code?: number, reason?: string): void {
    if (this.readyState >= 2) return;
    this.readyState = 2;
    this.closedByClient = { code, reason };
  }

  // ---- server side (what tests call) ----
  /** What the server reads: the URL's parameters, and `token` wherever the client put it. */
  get query(): URLSearchParams {
    const q = new URLSearchParams(this.url.searchParams);
    const token = tokenFromSubprotocols(this.protocols.join(","));
    if (token !== undefined && !q.has("token")) q.set("token", token);
    return q;
  }
  /** Messages of one type the client sent. */
  sentOfType<T extends ClientMessage["type"]>(type: T): Extract<ClientMessage, { type: T }>[] {
    return this.received.filter((m): m is Extract<ClientMessage, { type: T }> => m.type === type);
  }
  accept(): void {
    this.readyState = 1;
    (this.onopen as Handler<object>)?.({});
  }
  deliver(message: ServerMessage): void {
    const bytes = encode(message);
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    this.deliverData(buffer);
  }
  deliverData(data: unknown): void {
    if (this.readyState !== 1) return;
    (this.onmessage as Handler<MessageEventLike>)?.({ data });
  }
  /** The server (or the network) closes the socket. */
  drop(code = 1006, reason = ""): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    (this.onclose as Handler<CloseEventLike>)?.({ code, reason });
  }
}

export interface FakeNetwork {
  readonly WebSocket: WebSocketConstructor;
  readonly sockets: FakeSocket[];
  /** The most recently created socket. */
  last(): FakeSocket;
}

export function createFakeNetwork(onCreate?: (socket: FakeSocket) => void): FakeNetwork {
  const sockets: FakeSocket[] = [];
  class NetworkSocket extends FakeSocket {
    constructor(url: string, protocols?: string[]) {
      super(url, protocols);
      sockets.push(this);
      onCreate?.(this);
    }
  }
  return {
    WebSocket: NetworkSocket,
    sockets,
    last() {
      const s = sockets.at(-1);
      if (s === undefined) throw new Error("no socket was created");
      return s;
    },
  };
}
