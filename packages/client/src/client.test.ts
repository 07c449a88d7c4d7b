import { describe, expect, it } from "vitest";
import { createClient } from "./client.js";
import { createFakeClock } from "./test-support/fake-clock.js";
import { createFakeNetwork } from "./test-support/fake-socket.js";

function base() {
  const net = createFakeNetwork();
  return {
    net,
    options: { url: "ws://edge.test", token: "t", WebSocket: net.WebSocket, timers: createFakeClock() },
  };
}

describe("createClient", () => {
  it("refuses a throttle outside 16..1000 ms with RangeError", () => {
    const { options } = base();
    for (const throttle of [15, 1001, Number.NaN, -1]) {
      expect(() => createClient({ ...options, throttle })).toThrow(RangeError);
    }
    for (const throttle of [16, 100, 1000])
      expect(() => createClient({ ...options, throttle })).not.toThrow();
  });

  it("refuses a negative lostConnectionTimeout with RangeError", () => {
    expect(() => createClient({ ...base().options, lostConnectionTimeout: -1 })).toThrow(RangeError);
  });

  it("needs a ws(s) or http(s) url and exactly one way to get a token", () => {
    const { options } = base();
    expect(() => createClient({ ...options, url: "not a url" })).toThrow(TypeError);
    expect(() => createClient({ ...options, url: "ftp://x" })).toThrow(TypeError);
    expect(() => createClient({ ...options, token: undefined })).toThrow(TypeError);
    expect(() => createClient({ ...options, authEndpoint: "/auth" })).toThrow(TypeError);
  });

  it("turns an http(s) url into ws(s) and builds the room path from it", async () => {
    const { net, options } = base();
    const client = createClient({ ...options, url: "https://edge.test:8443/base/" });
    client.enterRoom("r-1", { initialPresence: {} });
    await options.timers.settle();
    expect(`${net.last().url.origin}${net.last().url.pathname}`).toBe(
      "wss://edge.test:8443/base/v1/rooms/r-1",
    );
  });

  it("validates roomId and initialPresence when entering a room", () => {
    const client = createClient(base().options);
    expect(() => client.enterRoom("bad room", { initialPresence: {} })).toThrow(RangeError);
    expect(() => client.enterRoom("x".repeat(129), { initialPresence: {} })).toThrow(RangeError);
    expect(() => client.enterRoom("r", { initialPresence: { cursor: { x: 5, y: 0 } } })).toThrow(
      /INVALID_PRESENCE/,
    );
    expect(() => client.enterRoom("r", { initialPresence: [] as never })).toThrow(TypeError);
  });

  it("gives each enterRoom its own identity key, even for the same room", async () => {
    const { net, options } = base();
    const client = createClient(options);
    client.enterRoom("r", { initialPresence: {} });
    client.enterRoom("r", { initialPresence: {} });
    await options.timers.advance(10);
    const keys = net.sockets.map((s) => s.query.get("key"));
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(keys[0]).not.toBe(keys[1]);
  });

  it("does no I/O with autoConnect false until connect() is called", async () => {
    const { net, options } = base();
    const client = createClient(options);
    const { room } = client.enterRoom("r", { initialPresence: { status: "x" }, autoConnect: false });
    await options.timers.advance(1000);
    expect(net.sockets).toHaveLength(0);
    expect(room.getStatus()).toBe("initial");
    expect(room.getPresence()).toEqual({ status: "x" });
    room.connect();
    room.connect();
    await options.timers.settle();
    expect(net.sockets).toHaveLength(1);
  });

  it("throws TypeError on connect when there is no WebSocket implementation", () => {
    const { options } = base();
    const saved = (globalThis as { WebSocket?: unknown }).WebSocket;
    (globalThis as { WebSocket?: unknown }).WebSocket = undefined;
    try {
      const client = createClient({ ...options, WebSocket: undefined });
      const { room } = client.enterRoom("r", { initialPresence: {}, autoConnect: false });
      expect(() => room.connect()).toThrow(/WebSocket/);
    } finally {
      (globalThis as { WebSocket?: unknown }).WebSocket = saved;
    }
  });

  it("leaves every connected room on destroy", async () => {
    const { net, options } = base();
    const client = createClient(options);
    const a = client.enterRoom("a", { initialPresence: {} });
    const b = client.enterRoom("b", { initialPresence: {} });
    await options.timers.settle();
    for (const s of net.sockets) s.accept();
    client.destroy();
    expect(a.room.getStatus()).toBe("disconnected");
    expect(b.room.getStatus()).toBe("disconnected");
  });
});
