// WebSocket framing by hand (RFC 6455 §5) for the framing fuzz suite
// (security/ws-framing-fuzz.integration.test.ts): a TCP socket that upgrades itself,
// writes frames the `ws` client would never produce (unmasked, reserved bits, unknown
// opcodes, oversized or fragmented control frames, lying lengths, bad close codes) and
// parses what the server writes back strictly.
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import fc from "fast-check";

/** One frame to write. `length` overrides the payload length the header claims (a lie). */
export interface RawFrame {
  readonly fin: boolean;
  readonly rsv: number;
  readonly opcode: number;
  readonly masked: boolean;
  readonly payload: Uint8Array;
  readonly length?: number;
}

export function frameBytes(f: RawFrame): Buffer {
  const n = f.length ?? f.payload.length;
  const head = [(f.fin ? 0x80 : 0) | ((f.rsv & 7) << 4) | (f.opcode & 0xf)];
  const maskBit = f.masked ? 0x80 : 0;
  if (n < 126) head.push(maskBit | n);
  else if (n < 65536) head.push(maskBit | 126, n >> 8, n & 0xff);
  else {
    head.push(maskBit | 127);
    const big = Buffer.alloc(8);
    big.writeBigUInt64BE(BigInt(n));
    head.push(...big);
  }
  if (!f.masked) return Buffer.concat([Buffer.from(head), f.payload]);
  const mask = randomBytes(4);
  const body = Buffer.from(f.payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from(head), mask, body]);
}

/** A well-formed client frame: FIN, masked. */
export const clientFrame = (opcode: number, payload: Uint8Array): RawFrame => ({
  fin: true,
  rsv: 0,
  opcode,
  masked: true,
  payload,
});

const closePayload = (code: number, reason = "") => {
  const b = Buffer.alloc(2 + Buffer.byteLength(reason));
  b.writeUInt16BE(code);
  b.write(reason, 2);
  return b;
};

/** Frames that break RFC 6455 or this server's limits, and a few odd but legal ones. */
export const rawFrame: fc.Arbitrary<RawFrame> = fc.oneof(
  // Any header bits at all around a short payload.
  fc.record({
    fin: fc.boolean(),
    rsv: fc.nat({ max: 7 }),
    opcode: fc.nat({ max: 15 }),
    masked: fc.boolean(),
    payload: fc.uint8Array({ maxLength: 40 }),
  }),
  // Control frames: too long, fragmented, close codes valid and not, a 1-byte close.
  fc
    .record({
      opcode: fc.constantFrom(8, 9, 10),
      size: fc.constantFrom(0, 1, 125, 126, 300),
      fin: fc.boolean(),
    })
    .map(({ opcode, size, fin }) => ({ ...clientFrame(opcode, new Uint8Array(size)), fin })),
  fc
    .oneof(
      fc.constantFrom(0, 999, 1000, 1001, 1004, 1005, 1006, 1015, 2999, 3000, 4999, 5000),
      fc.nat({ max: 65535 }),
    )
    .map((code) => clientFrame(8, closePayload(code, "bye"))),
  fc.constant(clientFrame(8, Uint8Array.from([0x03]))),
  // Close reason and text frames that are not UTF-8.
  fc.constant(clientFrame(8, Buffer.concat([closePayload(1000), Buffer.from([0xff, 0xfe])]))),
  fc.uint8Array({ maxLength: 20 }).map((b) => clientFrame(1, b)),
  // A continuation with nothing to continue, a data frame inside a fragmented message.
  fc.uint8Array({ maxLength: 20 }).map((b) => clientFrame(0, b)),
  fc.uint8Array({ maxLength: 20 }).map((b): RawFrame => ({ ...clientFrame(2, b), fin: false })),
  // Lengths: over the 4 096-byte limit claimed (payload never sent), 64-bit lengths with the top bit.
  fc.constantFrom(4097, 70_000, 2 ** 32, Number.MAX_SAFE_INTEGER, 2 ** 63).map((length) => ({
    ...clientFrame(2, new Uint8Array(0)),
    length,
  })),
);

/**
 * Legal but unusual traffic: pings and pongs from the client, and a message in fragments
 * with a ping between them (RFC 6455 §5.4), carrying `message` (encoded client message bytes).
 */
export const legalFrames = (message: Uint8Array): fc.Arbitrary<RawFrame[]> =>
  fc.oneof(
    fc
      .tuple(fc.constantFrom(9, 10), fc.uint8Array({ maxLength: 125 }))
      .map(([op, p]) => [clientFrame(op, p)]),
    fc
      .nat({ max: message.length })
      .map((cut) => [
        { ...clientFrame(2, message.subarray(0, cut)), fin: false },
        clientFrame(9, Uint8Array.from([1, 2, 3])),
        clientFrame(0, message.subarray(cut)),
      ]),
  );

/** What the server wrote: data frames (unmasked, FIN) and at most one close. */
export interface ServerFrames {
  readonly data: { readonly opcode: number; readonly payload: Buffer }[];
  close: { readonly code: number | undefined } | undefined;
  /** A violation of RFC 6455 by the server, if any. */
  broken: string | undefined;
}

/** Parses server frames from `buf`; returns the bytes of an incomplete trailing frame. */
export function parseServerFrames(buf: Buffer, out: ServerFrames): Buffer {
  let at = 0;
  for (;;) {
    if (buf.length - at < 2) return buf.subarray(at);
    const b0 = buf[at]!;
    const b1 = buf[at + 1]!;
    let n = b1 & 0x7f;
    let head = 2;
    if (n === 126) {
      if (buf.length - at < 4) return buf.subarray(at);
      n = buf.readUInt16BE(at + 2);
      head = 4;
    } else if (n === 127) {
      if (buf.length - at < 10) return buf.subarray(at);
      n = Number(buf.readBigUInt64BE(at + 2));
      head = 10;
    }
    if (buf.length - at < head + n) return buf.subarray(at);
    const opcode = b0 & 0xf;
    if ((b0 & 0x70) !== 0 || (b1 & 0x80) !== 0 || (b0 & 0x80) === 0) out.broken ??= `bad header ${b0} ${b1}`;
    const payload = buf.subarray(at + head, at + head + n);
    if (opcode === 8) out.close ??= { code: n >= 2 ? payload.readUInt16BE(0) : undefined };
    else if (opcode === 1 || opcode === 2) out.data.push({ opcode, payload: Buffer.from(payload) });
    else if (opcode !== 9 && opcode !== 10) out.broken ??= `server opcode ${opcode}`;
    at += head + n;
  }
}

export interface RawClient {
  readonly socket: Socket;
  readonly frames: ServerFrames;
  /** Resolves once the TCP connection has ended (either side). */
  readonly ended: Promise<void>;
  isEnded(): boolean;
  /** Resolves after each chunk of server bytes or the end. */
  changed(): Promise<void>;
}

/**
 * Opens a TCP connection and upgrades it to a WebSocket on `path`; rejects unless the answer is 101.
 * `early`: frame bytes written together with the upgrade request (they reach the server before its join).
 */
export async function openRaw(
  port: number,
  path: string,
  early: Buffer = Buffer.alloc(0),
): Promise<RawClient> {
  const { status, client } = await tryUpgrade(port, Buffer.from(path), early);
  if (client === undefined) throw new Error(`upgrade refused: ${status}`);
  return client;
}

/**
 * Sends an upgrade request for `path` (raw bytes: anything may be in it). Resolves with the HTTP
 * status (0: the connection closed without one) and, for a 101, the upgraded client; a refused
 * socket is destroyed.
 */
export function tryUpgrade(
  port: number,
  path: Buffer,
  early: Buffer = Buffer.alloc(0),
): Promise<{ status: number; client: RawClient | undefined }> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const frames: ServerFrames = { data: [], close: undefined, broken: undefined };
    let pending: Buffer = Buffer.alloc(0);
    let upgraded = false;
    let ended = false;
    let wake: (() => void)[] = [];
    const notify = () => {
      for (const w of wake) w();
      wake = [];
    };
    const endedP = new Promise<void>((r) =>
      socket.once("close", () => {
        ended = true;
        notify();
        r();
        if (!upgraded) resolve({ status: 0, client: undefined });
      }),
    );
    socket.on("error", () => {}); // followed by close
    socket.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (!upgraded) {
        const end = pending.indexOf("\r\n\r\n");
        if (end < 0) return;
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(pending.subarray(0, end).toString())?.[1] ?? 0);
        if (status !== 101) {
          socket.destroy();
          return resolve({ status, client: undefined });
        }
        upgraded = true;
        pending = pending.subarray(end + 4);
        resolve({ status, client });
      }
      pending = parseServerFrames(pending, frames);
      notify();
    });
    const client: RawClient = {
      socket,
      frames,
      ended: endedP,
      isEnded: () => ended,
      changed: () => new Promise<void>((r) => wake.push(r)),
    };
    const head =
      `HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    socket.write(Buffer.concat([Buffer.from("GET "), path, Buffer.from(` ${head}`), early]));
  });
}
