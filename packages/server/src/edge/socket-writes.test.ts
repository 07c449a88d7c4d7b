import { once } from "node:events";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import {
  BACKPRESSURE_BYTES,
  corked,
  keepsUp,
  preframe,
  WS_INTERNALS_VERSION,
  writeFrame,
  writeFramed,
  writeFramedReply,
  writePing,
  writeReply,
} from "./socket-writes.js";

async function pair(perMessageDeflate = false) {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate });
  await once(wss, "listening");
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  const [server] = (await once(wss, "connection")) as [WebSocket];
  await once(client, "open");
  const received: number[] = [];
  const messages: Buffer[] = [];
  client.on("message", (data: Buffer) => {
    received.push(data[0]!);
    messages.push(data);
  });
  return {
    client,
    server,
    received,
    messages,
    close: async () => {
      client.terminate();
      wss.close();
    },
  };
}

describe("socket writes", () => {
  it("write a frame to an open socket", async () => {
    const t = await pair();
    writeFrame(t.server, Uint8Array.of(1));
    expect(writeReply(t.server, Uint8Array.of(2))).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(t.received).toEqual([1, 2]);
    await t.close();
  });

  it("drops a reply to a socket that is behind", async () => {
    const t = await pair();
    const behind = Object.create(t.server, {
      bufferedAmount: { value: BACKPRESSURE_BYTES + 1 },
    }) as WebSocket;
    expect(keepsUp(behind)).toBe(false);
    expect(writeReply(behind, Uint8Array.of(9))).toBe(false);
    await t.close();
  });

  it("runs on the ws release whose internals the pre-framed path reads (upgrade ws: re-check writeFramed)", () => {
    const version = (createRequire(import.meta.url)("ws/package.json") as { version: string }).version;
    expect(version).toBe(WS_INTERNALS_VERSION);
  });

  it("pre-framed frames of every header size arrive whole and in order with ws.send's", async () => {
    const t = await pair();
    const sizes = [1, 125, 126, 65_535, 65_536, 200_000];
    const frames = sizes.map((n, i) => preframe(new Uint8Array(n).fill(i + 1)));
    writeFrame(t.server, Uint8Array.of(100));
    for (const f of frames) writeFramed(t.server, f);
    writeFrame(t.server, Uint8Array.of(101));
    writeFramed(t.server, frames[0]!, frames[1]!); // a rider: two frames, one write
    while (t.messages.length < sizes.length + 4) await new Promise((r) => setTimeout(r, 10));
    expect(t.messages.map((m) => m.length)).toEqual([1, ...sizes, 1, 1, 125]);
    expect(t.received).toEqual([100, 1, 2, 3, 4, 5, 6, 101, 1, 2]);
    expect(t.messages[5]!.every((b) => b === 5)).toBe(true);
    await t.close();
  });

  it("counts raw writes in bufferedAmount, so back-pressure sees them", async () => {
    const t = await pair();
    (t.client as unknown as { _socket: { pause(): void } })._socket.pause();
    const big = preframe(new Uint8Array(256 * 1024));
    for (let i = 0; i < 64; i++) writeFramed(t.server, big);
    expect(t.server.bufferedAmount).toBeGreaterThan(BACKPRESSURE_BYTES);
    expect(keepsUp(t.server)).toBe(false);
    await t.close();
  });

  it("goes through ws.send while ws holds a frame of its own, so nothing overtakes it", async () => {
    const t = await pair({ threshold: 0 } as never);
    // A compressed send is asynchronous: ws queues what follows until it is deflated.
    t.server.send(Buffer.alloc(50_000, 7), { binary: true, compress: true });
    writeFramed(t.server, preframe(Uint8Array.of(8)));
    while (t.messages.length < 2) await new Promise((r) => setTimeout(r, 10));
    expect(t.received).toEqual([7, 8]);
    await t.close();
  });

  it("a raw ping reaches the client between frames, and the client's pong comes back", async () => {
    const t = await pair();
    const order: string[] = [];
    t.client.on("ping", (data: Buffer) => order.push(`ping:${data.length}`));
    t.client.on("message", (data: Buffer) => order.push(`msg:${data[0]}`));
    const pong = once(t.server, "pong");
    writeFramed(t.server, preframe(Uint8Array.of(1)));
    writePing(t.server);
    writeFramed(t.server, preframe(Uint8Array.of(2)));
    await pong;
    while (order.length < 3) await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual(["msg:1", "ping:0", "msg:2"]);
    await t.close();
  });

  it("an owed ping rides the next raw frame (with its rider) in the same write, and is owed no more", async () => {
    const t = await pair();
    const order: string[] = [];
    t.client.on("ping", () => order.push("ping"));
    t.client.on("message", (data: Buffer) => order.push(`msg:${data[0]}`));
    const carrier = { pingOwed: true };
    const pong = once(t.server, "pong");
    const writes = (t.server as unknown as { _socket: { write: (...a: unknown[]) => boolean } })._socket;
    const write = writes.write.bind(writes);
    let calls = 0;
    writes.write = (...a: unknown[]) => {
      calls++;
      return write(...a);
    };
    writeFramed(t.server, preframe(Uint8Array.of(1)), preframe(Uint8Array.of(2)), carrier);
    expect(carrier.pingOwed).toBe(false);
    expect(calls).toBe(1);
    writeFramed(t.server, preframe(Uint8Array.of(3)), undefined, carrier); // nothing owed now: no second ping
    await pong;
    while (order.length < 4) await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual(["msg:1", "msg:2", "ping", "msg:3"]);
    await t.close();
  });

  it("an owed ping stays owed while ws holds a frame (liveness then writes it when due)", async () => {
    const t = await pair({ threshold: 0 } as never);
    const carrier = { pingOwed: true };
    t.server.send(Buffer.alloc(1000, 7), { binary: true, compress: true });
    writeFramed(t.server, preframe(Uint8Array.of(8)), undefined, carrier);
    expect(carrier.pingOwed).toBe(true);
    expect(writeFramedReply(t.server, preframe(Uint8Array.of(9)), carrier)).toBe(true);
    expect(carrier.pingOwed).toBe(true);
    while (t.messages.length < 3) await new Promise((r) => setTimeout(r, 10));
    expect(t.received).toEqual([7, 8, 9]);
    await t.close();
  });

  it("a ping waits behind a frame ws still holds", async () => {
    const t = await pair({ threshold: 0 } as never);
    const order: string[] = [];
    t.client.on("ping", () => order.push("ping"));
    t.client.on("message", (data: Buffer) => order.push(`msg:${data[0]}`));
    t.server.send(Buffer.alloc(50_000, 7), { binary: true, compress: true });
    writePing(t.server);
    while (order.length < 2) await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual(["msg:7", "ping"]);
    await t.close();
  });

  it("corked writes leave together and in order", async () => {
    const t = await pair();
    corked(t.server, () => {
      writeFrame(t.server, Uint8Array.of(1));
      writeFramed(t.server, preframe(Uint8Array.of(2)));
      expect(writeReply(t.server, Uint8Array.of(3))).toBe(true);
    });
    while (t.messages.length < 3) await new Promise((r) => setTimeout(r, 10));
    expect(t.received).toEqual([1, 2, 3]);
    await t.close();
  });
});
