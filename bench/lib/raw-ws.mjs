// A minimal WebSocket client over a raw TCP socket, for the load generator.
//
// Why not the `ws` client: one generator core must read the frames of up to
// 10 000 sockets. `ws` spends most of its time per frame in its Receiver state
// machine, EventEmitter dispatch and Buffer copies; this reader parses frames in
// place from each TCP chunk (several frames per `data` event under load) and
// hands the payload slice to one callback. It offers no extensions, so
// permessage-deflate is never negotiated, and masks outgoing frames with an
// all-zero key: legal (RFC 6455 §5.3 only asks the key to be unpredictable, which
// matters for browsers behind proxies, not for a benchmark) and it saves copying
// the payload through an XOR.
import { randomBytes } from "node:crypto";
import net from "node:net";

export const OPCODE_TEXT = 1;
export const OPCODE_BINARY = 2;
const OPCODE_CONTINUATION = 0;
const OPCODE_CLOSE = 8;
const OPCODE_PING = 9;
const OPCODE_PONG = 10;

/** Upgrade response larger than this (bytes) is refused: servers send a few hundred. */
const MAX_HANDSHAKE_BYTES = 16 * 1024;

/**
 * Opens a WebSocket. Resolves once the 101 response is read.
 * @param {{host: string, port: number, path: string,
 *   onMessage: (opcode: number, payload: Buffer, wireBytes: number) => void,
 *   onClose: (reason: string) => void}} opts
 * @returns {Promise<RawSocket>}
 */
/**
 * One read buffer for every socket of the process: with `onread`, Node reads
 * straight into it and calls us synchronously, skipping the stream machinery and
 * a Buffer allocation per read (about half the per-frame cost of 'data' events).
 * Payload slices are only valid during onMessage; unparsed tails are copied.
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

/**
 * Opens a WebSocket. Resolves once the 101 response is read.
 * @param {{host: string, port: number, path: string,
 *   onMessage: (opcode: number, payload: Buffer, wireBytes: number) => void,
 *   onClose: (reason: string) => void}} opts
 * @returns {Promise<RawSocket>}
 */
export function connectRaw(opts) {
  return new Promise((resolve, reject) => {
    let raw = null;
    let handshake = Buffer.alloc(0);
    let settled = false;
    const fail = (err) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(err);
    };
    const onHandshakeData = (chunk) => {
      handshake = Buffer.concat([handshake, chunk]);
      const end = handshake.indexOf("\r\n\r\n");
      if (end < 0) {
        if (handshake.length > MAX_HANDSHAKE_BYTES) fail(new Error("oversized upgrade response"));
        return;
      }
      const head = handshake.subarray(0, end).toString("latin1");
      const status = head.slice(0, head.indexOf("\r\n"));
      if (!/^HTTP\/1\.1 101/.test(status)) return fail(new Error(`upgrade refused: ${status}`));
      socket.off("error", fail);
      settled = true;
      // Frames that came with the 101 are parsed on the next turn, after the caller has
      // the socket in hand (a reply to them may need it); later reads queue behind them.
      raw = new RawSocket(socket, opts.onMessage, opts.onClose, handshake.subarray(end + 4));
      resolve(raw);
    };
    const socket = net.connect({
      host: opts.host,
      port: opts.port,
      onread: {
        buffer: READ_BUFFER,
        callback(nread, buf) {
          const chunk = buf.subarray(0, nread);
          if (raw !== null) raw.feed(chunk);
          else onHandshakeData(Buffer.from(chunk));
        },
      },
    });
    socket.setNoDelay(true);
    socket.once("error", fail);
    socket.on("connect", () => {
      socket.write(
        `GET ${opts.path} HTTP/1.1\r\nHost: ${opts.host}:${opts.port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\n` +
          "Sec-WebSocket-Version: 13\r\n\r\n",
      );
    });
    socket.once("close", () => fail(new Error("closed during upgrade")));
  });
}

export class RawSocket {
  constructor(socket, onMessage, onClose, initial) {
    this.socket = socket;
    this.onMessage = onMessage;
    this.pending = null; // unparsed tail of the previous chunk
    if (initial.length > 0) {
      this.pending = initial;
      setImmediate(() => this.feed(Buffer.alloc(0)));
    }
    this.fragments = null; // payloads of a fragmented message, rare
    this.fragmentOpcode = 0;
    this.closed = false;
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closed = true;
      onClose("socket closed");
    });
  }

  /** Parses every complete frame of `chunk` (plus the saved tail); keeps the rest. */
  feed(chunk) {
    let buf = chunk;
    if (this.pending !== null) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let off = 0;
    const len = buf.length;
    while (len - off >= 2) {
      const b0 = buf[off];
      const b1 = buf[off + 1];
      let size = b1 & 0x7f;
      let head = 2;
      if (size === 126) {
        if (len - off < 4) break;
        size = buf.readUInt16BE(off + 2);
        head = 4;
      } else if (size === 127) {
        if (len - off < 10) break;
        size = Number(buf.readBigUInt64BE(off + 2));
        head = 10;
      }
      if (b1 & 0x80) head += 4; // servers never mask, but tolerate it
      if (len - off < head + size) break;
      const payload = buf.subarray(off + head, off + head + size);
      this.frame(b0 & 0x80, b0 & 0x0f, payload, head + size);
      off += head + size;
    }
    // The read buffer is reused by the next read: keep a copy of the tail.
    if (off < len) this.pending = Buffer.from(buf.subarray(off));
  }

  frame(fin, opcode, payload, wireBytes) {
    if (opcode === OPCODE_PING) return this.sendFrame(OPCODE_PONG, payload);
    if (opcode === OPCODE_PONG) return;
    if (opcode === OPCODE_CLOSE) {
      if (!this.closed) this.sendFrame(OPCODE_CLOSE, payload.subarray(0, 2));
      this.socket.end();
      return;
    }
    if (opcode === OPCODE_CONTINUATION || !fin) {
      if (opcode !== OPCODE_CONTINUATION) {
        this.fragmentOpcode = opcode;
        this.fragments = [];
      }
      this.fragments?.push(Buffer.from(payload));
      if (!fin) return;
      const whole = Buffer.concat(this.fragments ?? []);
      this.fragments = null;
      return this.onMessage(this.fragmentOpcode, whole, wireBytes);
    }
    this.onMessage(opcode, payload, wireBytes);
  }

  /** Sends one message; returns the bytes put on the wire (header + payload). */
  send(data, binary) {
    const payload = typeof data === "string" ? Buffer.from(data) : data;
    return this.sendFrame(binary ? OPCODE_BINARY : OPCODE_TEXT, payload);
  }

  sendFrame(opcode, payload) {
    if (this.closed || this.socket.destroyed) return 0;
    const size = payload.length;
    const head = size < 126 ? 6 : size < 65536 ? 8 : 14;
    const frame = Buffer.allocUnsafe(head + size);
    frame[0] = 0x80 | opcode;
    if (size < 126) {
      frame[1] = 0x80 | size;
    } else if (size < 65536) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(size, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeBigUInt64BE(BigInt(size), 2);
    }
    frame.fill(0, head - 4, head); // the all-zero mask key
    if (size > 0) (Buffer.isBuffer(payload) ? payload : Buffer.from(payload)).copy(frame, head);
    this.socket.write(frame);
    return frame.length;
  }

  /** Clean close (1000), then FIN. */
  close() {
    if (this.closed) return;
    const code = Buffer.alloc(2);
    code.writeUInt16BE(1000, 0);
    this.sendFrame(OPCODE_CLOSE, code);
    this.closed = true;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }
}
