import { describe, expect, it, vi } from "vitest";
import { AuthError, createTokenSource, type FetchLike, tokenExpiry } from "./token-source.js";

function jwt(payload: object): string {
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");
  return `${b64({ alg: "ES256" })}.${b64(payload)}.sig`;
}

const answer = (status: number, body: unknown): ReturnType<FetchLike> =>
  Promise.resolve({ ok: status >= 200 && status < 300, status, json: async () => body });

describe("createTokenSource", () => {
  it("needs exactly one of authEndpoint and token", () => {
    expect(() => createTokenSource({})).toThrow(TypeError);
    expect(() => createTokenSource({ token: "t", authEndpoint: "/x" })).toThrow(TypeError);
  });

  it("returns a static token and says it cannot be renewed", async () => {
    const s = createTokenSource({ token: "static" });
    expect(s.renewable).toBe(false);
    expect(await s.get("room-1")).toBe("static");
  });

  it("POSTs {room} as JSON to an endpoint and reads {token}", async () => {
    const fetch = vi.fn<FetchLike>(() => answer(200, { token: "from-endpoint" }));
    const s = createTokenSource({ authEndpoint: "/api/presence-auth", fetch });
    expect(await s.get("room-1")).toBe("from-endpoint");
    const [url, init] = fetch.mock.calls[0] ?? [];
    expect(url).toBe("/api/presence-auth");
    expect(init?.method).toBe("POST");
    expect(JSON.parse(init?.body ?? "")).toEqual({ room: "room-1" });
    expect(init?.headers["content-type"]).toBe("application/json");
  });

  it("marks refusals (401, 403) as final and server errors as retryable", async () => {
    for (const [status, retryable] of [
      [401, false],
      [403, false],
      [500, true],
      [503, true],
      [429, true],
    ] as const) {
      const s = createTokenSource({ authEndpoint: "/a", fetch: () => answer(status, {}) });
      const err = await s.get("r").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthError);
      expect((err as AuthError).retryable).toBe(retryable);
    }
  });

  it("treats an unreachable endpoint and a body without a token as retryable", async () => {
    const down = createTokenSource({
      authEndpoint: "/a",
      fetch: () => Promise.reject(new Error("ECONNREFUSED")),
    });
    expect(await down.get("r").catch((e: AuthError) => e.retryable)).toBe(true);
    const empty = createTokenSource({ authEndpoint: "/a", fetch: () => answer(200, { nope: 1 }) });
    expect(await empty.get("r").catch((e: AuthError) => e.retryable)).toBe(true);
  });

  it("calls an auth callback with the room and accepts a string or { token }", async () => {
    const cb = vi.fn(async (room: string) => (room === "a" ? "ta" : { token: "tb" }));
    const s = createTokenSource({ authEndpoint: cb });
    expect(await s.get("a")).toBe("ta");
    expect(await s.get("b")).toBe("tb");
    const failing = createTokenSource({
      authEndpoint: async () => {
        throw new Error("session gone");
      },
    });
    await expect(failing.get("a")).rejects.toThrow(/session gone/);
  });
});

describe("tokenExpiry", () => {
  it("reads exp from a JWT without verifying it", () => {
    expect(tokenExpiry(jwt({ sub: "u", exp: 1_764_067_800 }))).toBe(1_764_067_800);
  });
  it("returns undefined for anything that is not a JWT with a numeric exp", () => {
    expect(tokenExpiry("opaque")).toBeUndefined();
    expect(tokenExpiry("a.b.c")).toBeUndefined();
    expect(tokenExpiry(jwt({ exp: "soon" }))).toBeUndefined();
  });
});
