// The server stays oblivious to sealed presence (docs/SECURITY.md#what-it-cannot-do), checked on
// the real thing: two `collabblocks serve --redis` processes sharing a room through a real
// redis-server (started here on a free port). Alice, on one process, seals a marker string in
// `status`; Bob, on the other, holds the key and must read it. Then the marker must appear
// nowhere on the server side: not in the room's Redis stream entries (XRANGE) or state hash, not
// in either process's logs (debug level, stdout and stderr), not in /metrics, not in a heap
// snapshot of either process (--heapsnapshot-signal). A clear field carries a second marker as
// the control: the same searches must find it in Redis and in the heaps, or they prove nothing.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { type CliProcess, startCliProcess } from "../../../test-support/cli-process.js";
import { startTestAuthority, type TestAuthority } from "../../../test-support/jwks-server.js";
import { waitUntil } from "../../../test-support/wait-until.js";
import { type RedisServer, startRedisServer } from "../../server/src/test-support/redis-harness.js";
import { encryptedPresence } from "./e2ee.js";
import { type Client, createClient, type DecryptError, type WebSocketConstructor } from "./index.js";

const ROOM = "oblivious-room";
/** Longest wait for something to cross Redis, or for a heap snapshot to be written, ms (a loaded 2-core machine). */
const TIMEOUT_MS = 20_000;
const SEALED_MARKER = `SEALEDMARK${randomBytes(8).toString("hex")}`;
const CLEAR_MARKER = `CLEARMARK${randomBytes(8).toString("hex")}`;

let redis: RedisServer | undefined;
let authority: TestAuthority | undefined;
const servers: CliProcess[] = [];
const clients: Client[] = [];
const diagnostics = mkdtempSync(join(tmpdir(), "cb-e2ee-heap-"));

function serve(podId: string): Promise<CliProcess> {
  const args = ["serve", "--port", "0", "--admin-port", "0", "--host", "127.0.0.1", "--pod-id", podId];
  return startCliProcess([...args, "--jwks-url", authority!.jwksUrl, "--redis", redis!.url], {
    name: podId,
    logLevel: "debug",
    env: { NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${diagnostics}` },
  });
}

function user(sub: string, server: CliProcess, key: CryptoKey, presence: Record<string, unknown>) {
  const client = createClient({
    url: server.url,
    authEndpoint: (room) => authority!.sign({ sub, room }),
    WebSocket: WebSocket as unknown as WebSocketConstructor,
  });
  clients.push(client);
  const encryption = encryptedPresence({ key, fields: ["status"] }); // `note` stays clear: the control
  const { room } = client.enterRoom(ROOM, { initialPresence: presence, encryption });
  const decryptErrors: DecryptError[] = [];
  room.subscribe("decrypt-error", (e) => decryptErrors.push(e));
  return { room, decryptErrors };
}

/** Makes the process write a heap snapshot (SIGUSR2) and returns its text once complete. */
async function heapSnapshot(server: CliProcess): Promise<string> {
  const pid = server.child.pid!;
  const mine = () =>
    readdirSync(diagnostics).filter((f) => f.includes(`.${pid}.`) && f.endsWith(".heapsnapshot"));
  server.child.kill("SIGUSR2");
  let size = -1;
  await waitUntil(
    `the heap snapshot of ${pid}`,
    () => {
      const file = mine()[0];
      if (file === undefined) return false;
      const now = statSync(join(diagnostics, file)).size;
      const done =
        now > 0 && now === size && readFileSync(join(diagnostics, file), "utf8").trimEnd().endsWith("}");
      size = now;
      return done;
    },
    TIMEOUT_MS,
  );
  return readFileSync(join(diagnostics, mine()[0]!), "utf8");
}

beforeAll(async () => {
  [redis, authority] = await Promise.all([startRedisServer(), startTestAuthority("e2ee-oblivious")]);
  servers.push(...(await Promise.all([serve("oblivious-a"), serve("oblivious-b")])));
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await Promise.all(servers.map((s) => s.stop()));
  await authority?.close();
  await redis?.stop();
  rmSync(diagnostics, { recursive: true, force: true });
});

describe("sealed presence through two Redis-mode servers", () => {
  it("reaches the key holder, and appears in no stream, log, metric or heap of the servers", async () => {
    const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, [
      "encrypt",
      "decrypt",
    ]);
    const [a, b] = servers as [CliProcess, CliProcess];
    const alice = user("alice", a, key, { status: `${SEALED_MARKER}-1`, note: CLEAR_MARKER });
    const bob = user("bob", b, key, {});
    const seen = () => bob.room.getOther(alice.room.connectionId);
    await waitUntil(
      "bob reads alice's first sealed status",
      () => seen()?.status === `${SEALED_MARKER}-1`,
      TIMEOUT_MS,
    );
    alice.room.updatePresence({ status: `${SEALED_MARKER}-2` }); // an update too, not only the enter
    await waitUntil("bob reads the update", () => seen()?.status === `${SEALED_MARKER}-2`, TIMEOUT_MS);
    expect(seen()).toMatchObject({ note: CLEAR_MARKER });
    expect(bob.decryptErrors).toEqual([]);

    const stream = await redis!.cli("XRANGE", `presence-{${ROOM}}`, "-", "+");
    const hash = await redis!.cli("HGETALL", `presence-{${ROOM}}:state`);
    const logs = servers.map((s) => s.output()).join("\n");
    const metrics = (await Promise.all(servers.map(async (s) => (await fetch(s.metricsUrl)).text()))).join(
      "\n",
    );
    const heaps = [await heapSnapshot(a), await heapSnapshot(b)];
    console.log(
      `searched: stream ${stream.length} B, state hash ${hash.length} B, logs ${logs.length} B, ` +
        `metrics ${metrics.length} B, heap snapshots ${heaps.map((h) => `${(h.length / 1e6).toFixed(1)} MB`).join(" + ")}`,
    );

    // The control: the clear marker is where the searches look.
    expect(stream).toContain(CLEAR_MARKER);
    expect(hash).toContain(CLEAR_MARKER);
    for (const heap of heaps) expect(heap).toContain(CLEAR_MARKER);
    // The sealed marker is nowhere.
    expect(stream).not.toContain(SEALED_MARKER);
    expect(hash).not.toContain(SEALED_MARKER);
    expect(logs).not.toContain(SEALED_MARKER);
    expect(metrics).not.toContain(SEALED_MARKER);
    for (const heap of heaps) expect(heap).not.toContain(SEALED_MARKER);
  }, 120_000);
});
