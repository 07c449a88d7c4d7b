// Recovery after a crash (kill -9, no close frame): the SDK probes a dropped
// server every 500 ms for 10 s (backoff.ts CRASH_WINDOW_MS), so once the server is
// back everyone sees everyone again within 3 s — it took ~17 s when drops climbed
// the ordinary backoff table.
import { afterAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startTestAuthority, type TestAuthority } from "../../../test-support/jwks-server.js";
import { waitUntil } from "../../../test-support/wait-until.js";
import { createClient, type Room, type WebSocketConstructor } from "./index.js";
import { type ServerProcess, startServerProcess } from "./test-support/server-process.js";

const N = 6;
/** How long the server stays down, ms: long enough for the table's 2 s and 4 s steps to matter. */
const DOWN_MS = 4000;
/** The product's promise: everyone sees everyone within this after the server is back, ms. */
const BACK_WITHIN_MS = 3000;

let authority: TestAuthority | undefined;
let server: ServerProcess | undefined;
const leaves: (() => void)[] = [];
afterAll(async () => {
  for (const leave of leaves) leave();
  await server?.stop();
  await authority?.close();
});

describe("SDK clients after a kill -9", () => {
  it(`see everyone again within ${BACK_WITHIN_MS} ms of the server being back`, async () => {
    authority = await startTestAuthority("crash-recovery");
    const serve = ["serve", "--admin-port", "0", "--jwks-url", authority.jwksUrl];
    server = await startServerProcess(serve, 0);
    const rooms: Room<{ n?: number }>[] = [];
    for (let i = 0; i < N; i++) {
      const client = createClient({
        url: server.url,
        authEndpoint: (room) => authority!.sign({ sub: `user-${i}`, room }),
        WebSocket: WebSocket as unknown as WebSocketConstructor,
      });
      const entered = client.enterRoom<{ n?: number }>("crash", { initialPresence: { n: i } });
      leaves.push(entered.leave);
      rooms.push(entered.room);
    }
    const everyoneSeen = () =>
      rooms.every(
        (r) =>
          r.getStatus() === "connected" && r.getOthers().filter((o) => o.n !== undefined).length === N - 1,
      );
    await waitUntil("everyone connected", everyoneSeen, 15_000);
    // Stable connections (the SDK resets its backoff after 5 s connected).
    await new Promise((r) => setTimeout(r, 5500));
    const port = server.port;
    await server.kill9();
    await new Promise((r) => setTimeout(r, DOWN_MS));
    server = await startServerProcess(serve, port);
    const back = performance.now();
    await waitUntil("everyone sees everyone again", everyoneSeen, 20_000);
    const recoveredMs = performance.now() - back;
    console.log(
      `crash recovery: server down ${DOWN_MS} ms; everyone back ${recoveredMs.toFixed(0)} ms after it listened`,
    );
    expect(recoveredMs).toBeLessThan(BACK_WITHIN_MS);
  }, 60_000);
});
