// docs/AUTH.md end to end: `collabblocks keys` makes a key, the Express example
// publishes its JWKS and signs tokens, the Next.js route handler signs tokens
// too, and a real `collabblocks serve --jwks-url` admits users holding either —
// through the SDK — and refuses what it should.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type WebSocketConstructor } from "@collabblocks/client";
import { afterAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { type CliProcess, spawnCli, startCliProcess } from "../../test-support/cli-process.js";
import { waitUntil } from "../../test-support/wait-until.js";
import { createAuthApp } from "./express-app.js";
import { createPresenceTokenRoute } from "./next-route.js";

const dir = mkdtempSync(join(tmpdir(), "collabblocks-auth-"));
let server: CliProcess | undefined;
let backend: Server | undefined;
const leaves: (() => void)[] = [];
afterAll(async () => {
  for (const leave of leaves) leave();
  await server?.stop();
  backend?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("auth from dev to production", () => {
  it("admits users with tokens from the Express and the Next.js examples, and refuses the rest", async () => {
    const keys = spawnCli(["keys", "--out", dir, "--kid", "app-key-1"]);
    const line = JSON.parse(await keys.waitForLine((l) => l.includes('"keys"'), "keys line")) as {
      privateKey: string;
      jwks: string;
    };
    expect((await keys.exited).code).toBe(0);
    const privateJwk = JSON.parse(readFileSync(line.privateKey, "utf8"));
    const jwks = JSON.parse(readFileSync(line.jwks, "utf8"));
    expect(jwks.keys[0]).not.toHaveProperty("d"); // the public half only
    // A second run into the same folder refuses to overwrite the key.
    expect((await spawnCli(["keys", "--out", dir, "--kid", "app-key-1"]).exited).code).toBe(2);

    // Your backend: sessions are a header here; yours come from your auth library.
    const users = new Map([
      ["alice", { id: "alice", name: "Alice", plan: "pro" }],
      ["bob", { id: "bob", name: "Bob", plan: "pro" }],
    ]);
    const app = await createAuthApp({
      privateJwk,
      jwks,
      currentUser: (req) => users.get(String(req.headers["x-session"])),
      mayEnter: (_user, room) => room.startsWith("doc-"),
    });
    backend = app.listen(0, "127.0.0.1");
    await new Promise((r) => backend!.once("listening", r));
    const appUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    server = await startCliProcess([
      "serve",
      "--port",
      "0",
      "--admin-port",
      "0",
      "--jwks-url",
      `${appUrl}/.well-known/jwks.json`,
    ]);
    const nextPost = createPresenceTokenRoute({
      privateJwk,
      currentUser: async (request) => users.get(request.headers.get("x-session") ?? ""),
    });
    const viaExpress = (session: string) => async (room: string) => {
      const res = await fetch(`${appUrl}/api/presence-token`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-session": session },
        body: JSON.stringify({ room }),
      });
      return ((await res.json()) as { token: string }).token;
    };
    const viaNext = (session: string) => async (room: string) => {
      const res = await nextPost(
        new Request("http://app.test/api/presence-token", {
          method: "POST",
          headers: { "content-type": "application/json", "x-session": session },
          body: JSON.stringify({ room }),
        }),
      );
      return ((await res.json()) as { token: string }).token;
    };
    const enter = (authEndpoint: (room: string) => Promise<string>) => {
      const client = createClient({
        url: server!.url.replace(/^http/, "ws"),
        authEndpoint,
        WebSocket: WebSocket as unknown as WebSocketConstructor,
      });
      const entered = client.enterRoom<{ status?: string }>("doc-1", { initialPresence: {} });
      leaves.push(entered.leave);
      return entered.room;
    };
    const alice = enter(viaExpress("alice"));
    const bob = enter(viaNext("bob"));
    alice.updatePresence({ status: "editing" });
    await waitUntil(
      "bob sees alice editing, named by her token",
      () => bob.getOthers().some((o) => o.userId === "alice" && o.status === "editing"),
      15_000,
    );
    expect(bob.getOthers().find((o) => o.userId === "alice")?.info).toEqual({ name: "Alice" });

    // Refusals: no session (401), a room the app says no to (403), a bad room id (400).
    const ask = (session: string | undefined, room: string) =>
      fetch(`${appUrl}/api/presence-token`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(session ? { "x-session": session } : {}) },
        body: JSON.stringify({ room }),
      }).then((r) => r.status);
    expect(await ask(undefined, "doc-1")).toBe(401);
    expect(await ask("alice", "payroll")).toBe(403);
    expect(await ask("alice", "doc-1/../x")).toBe(400);
    const bad = await nextPost(
      new Request("http://app.test/api/presence-token", {
        method: "POST",
        headers: { "x-session": "bob" },
        body: JSON.stringify({ room: "bad room" }),
      }),
    );
    expect(bad.status).toBe(400);
    // A token for one room does not open another: the server says ROOM_MISMATCH (4003).
    const token = await viaExpress("alice")("doc-1");
    const ws = new WebSocket(`${server.url.replace(/^http/, "ws")}/v1/rooms/doc-2?token=${token}`);
    const code = await new Promise<number>((resolve) => ws.once("close", resolve));
    expect(code).toBe(4003);
  }, 60_000);
});
