import { AuthError } from "@collabblocks/client";
import { describe, expect, it } from "vitest";
import { createDevTokenAuth } from "./dev-auth.js";

const identity = { userId: "brave-fox-00aa", name: "Brave Fox", color: "#1f6feb" };

function fakeFetch(status: number, body: unknown) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch = async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return { ok: status >= 200 && status < 300, status, json: async () => body };
  };
  return { fetch, calls };
}

describe("createDevTokenAuth", () => {
  it("posts the room, the user and its name and colour as info, and returns the token", async () => {
    const { fetch, calls } = fakeFetch(200, { token: "jwt" });
    const auth = createDevTokenAuth("http://127.0.0.1:8787", identity, fetch);
    await expect(auth("demo")).resolves.toBe("jwt");
    expect(calls[0]!.url).toBe("http://127.0.0.1:8787/v1/dev/token");
    expect(calls[0]!.init.method).toBe("POST");
    expect(JSON.parse(calls[0]!.init.body as string)).toEqual({
      room: "demo",
      user: "brave-fox-00aa",
      info: { name: "Brave Fox", color: "#1f6feb" },
    });
  });

  it("gives up on a 4xx (not a dev server) and retries on a 5xx", async () => {
    const refused = createDevTokenAuth("", identity, fakeFetch(404, {}).fetch)("demo");
    await expect(refused).rejects.toMatchObject({ name: "AuthError", retryable: false });
    const failing = createDevTokenAuth("", identity, fakeFetch(503, {}).fetch)("demo");
    await expect(failing).rejects.toBeInstanceOf(AuthError);
    await expect(failing).rejects.toMatchObject({ retryable: true });
  });

  it("refuses an answer without a token", async () => {
    await expect(createDevTokenAuth("", identity, fakeFetch(200, {}).fetch)("demo")).rejects.toMatchObject({
      retryable: false,
    });
  });
});
