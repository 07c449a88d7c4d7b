import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { BACKPRESSURE_BYTES, keepsUp, writeFrame, writeReply } from "./socket-writes.js";

async function pair() {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await once(wss, "listening");
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  const [server] = (await once(wss, "connection")) as [WebSocket];
  await once(client, "open");
  const received: number[] = [];
  client.on("message", (data: Buffer) => received.push(data[0]!));
  return {
    server,
    received,
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
});
