import { describe, expect, it } from "vitest";
import { DEFAULT_ROOM, readPageConfig } from "./config.js";

describe("readPageConfig", () => {
  it("uses ?room= and the page's own origin as the server", () => {
    expect(readPageConfig({ href: "http://127.0.0.1:8787/?room=design-review" })).toEqual({
      room: "design-review",
      roomRejected: undefined,
      serverOrigin: "http://127.0.0.1:8787",
      wsUrl: "ws://127.0.0.1:8787",
      big: false,
    });
  });

  it("falls back to the default room without ?room=", () => {
    const config = readPageConfig({ href: "http://localhost:8787/" });
    expect(config.room).toBe(DEFAULT_ROOM);
    expect(config.roomRejected).toBeUndefined();
  });

  it("falls back to the default room and reports an invalid ?room=", () => {
    const config = readPageConfig({ href: "http://localhost:8787/?room=no%20spaces" });
    expect(config).toMatchObject({ room: DEFAULT_ROOM, roomRejected: "no spaces" });
  });

  it("turns https into wss", () => {
    expect(readPageConfig({ href: "https://presence.example.com/" }).wsUrl).toBe(
      "wss://presence.example.com",
    );
  });

  it("takes another server from ?server= and ignores non-http schemes", () => {
    expect(readPageConfig({ href: "http://localhost:5173/?server=http://127.0.0.1:9000" })).toMatchObject({
      serverOrigin: "http://127.0.0.1:9000",
      wsUrl: "ws://127.0.0.1:9000",
    });
    expect(readPageConfig({ href: "http://localhost:5173/?server=javascript:alert(1)" }).serverOrigin).toBe(
      "http://localhost:5173",
    );
    expect(readPageConfig({ href: "http://localhost:5173/?server=http://" }).serverOrigin).toBe(
      "http://localhost:5173",
    );
  });
});
