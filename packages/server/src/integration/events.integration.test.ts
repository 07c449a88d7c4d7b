// Broadcast events (PROTOCOL.md §9) end to end, in every mode: dev (one process),
// scaled (two `serve` processes over a real Redis) and split (two edges and a pod
// over gRPC). An event reaches every other connection of revision 2 in the room,
// never its sender, never a revision-1 client, never a later joiner; a bad or
// over-rate event is refused with a non-fatal error and relayed to nobody.
import { MAX_EVENT_BYTES, MessageType } from "@collabblocks/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../test-support/dev-server.js";
import {
  type PresenceProcess,
  startPresenceProcess,
  startTokenAuthority,
  type TokenAuthority,
} from "../test-support/presence-processes.js";
import { freePort, type RedisServer, startRedisServer } from "../test-support/redis-harness.js";
import { type RoleProcess, startRole } from "../test-support/split-processes.js";
import type { TestClient } from "../test-support/test-client.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Long enough for an event that should not come to have come (it travels in ~1 ms here). */
const QUIET_MS = 400;

const broadcast = (c: TestClient, event: unknown): void =>
  c.send({ type: MessageType.BROADCAST, event: event as never });

async function receivedBy(clients: readonly TestClient[], n: number, what: string): Promise<void> {
  await Promise.all(clients.map((c) => c.waitFor(() => c.broadcasts.length >= n, 10_000, what)));
}

describe("broadcast events in dev mode", () => {
  let dev: DevServer;
  beforeAll(async () => {
    dev = await startDevServer();
  });
  afterAll(async () => {
    await dev?.close();
  });

  it("relays an event to the room's other revision-2 connections only, once, with its sender", async () => {
    const room = "events-dev-1";
    const a = await dev.join(room, "alice", { rev: 2 });
    const b = await dev.join(room, "bob", { rev: 2 });
    const old = await dev.join(room, "carol"); // revision 1: never sent EVENT
    const elsewhere = await dev.join("events-dev-other", "dave", { rev: 2 });
    broadcast(a, { type: "emoji", emoji: "🎉" });
    await receivedBy([b], 1, "bob gets alice's event");
    await sleep(QUIET_MS);
    expect(b.broadcasts).toEqual([
      {
        type: MessageType.EVENT,
        connectionId: a.welcome?.connectionId,
        userId: "alice",
        event: { type: "emoji", emoji: "🎉" },
      },
    ]);
    expect(a.broadcasts).toEqual([]);
    expect(old.broadcasts).toEqual([]);
    expect(old.errors).toEqual([]);
    expect(elsewhere.broadcasts).toEqual([]);

    // Never stored: a later joiner gets nothing of it, and nor does a resync.
    const late = await dev.join(room, "erin", { rev: 2 });
    b.send({ type: MessageType.SYNC_REQUEST, syncId: 7 });
    await sleep(QUIET_MS);
    expect(late.broadcasts).toEqual([]);
    expect(b.broadcasts).toHaveLength(1);
  });

  it("refuses a bad event with INVALID_EVENT and an over-rate one with RATE_LIMITED, relaying neither", async () => {
    const room = "events-dev-2";
    const a = await dev.join(room, "alice", { rev: 2 });
    const b = await dev.join(room, "bob", { rev: 2 });
    broadcast(a, "x".repeat(MAX_EVENT_BYTES)); // 2 048 characters: 2 051 bytes encoded
    await a.waitFor(() => a.errors.length === 1, 5000, "INVALID_EVENT");
    expect(a.errors[0]).toMatchObject({ code: "INVALID_EVENT", fatal: false });

    // The bucket presence uses (burst 5): the 5 events of a burst go out, the next is refused.
    for (let i = 0; i < 7; i++) broadcast(a, { n: i });
    await a.waitFor(() => a.errors.some((e) => e.code === "RATE_LIMITED"), 5000, "RATE_LIMITED");
    await receivedBy([b], 4, "the burst");
    await sleep(QUIET_MS);
    expect(b.broadcasts.length).toBeGreaterThanOrEqual(4);
    expect(b.broadcasts.length).toBeLessThanOrEqual(5);
    expect(b.broadcasts.map((m) => m.event)).toEqual(b.broadcasts.map((_, i) => ({ n: i })));
    expect(a.ws.readyState).toBe(a.ws.OPEN);
  });
});

describe("lost peers in dev mode", () => {
  let dev: DevServer;
  beforeAll(async () => {
    dev = await startDevServer();
  });
  afterAll(async () => {
    await dev?.close();
  });

  it("tells revision-2 peers at once that a dropped connection is reconnecting; it comes back under a newer epoch", async () => {
    const room = "lost-dev-1";
    const key = "k".repeat(22);
    const watcher = await dev.join(room, "watcher", { rev: 2 });
    const old = await dev.join(room, "old"); // revision 1: never sent PEER_LOST
    const flaky = await dev.join(room, "flaky", { key, rev: 2 });
    flaky.update({ status: "here" });
    const cid = flaky.welcome?.connectionId as string;
    const epoch = flaky.welcome?.epoch as number;
    await watcher.waitFor(() => watcher.replica.get(cid)?.state.status === "here", 5000, "flaky's state");
    flaky.terminate(); // no close frame: a ghost for the grace window
    await watcher.waitFor(() => watcher.lostPeers.length === 1, 5000, "PEER_LOST");
    expect(watcher.lostPeers[0]).toEqual({ type: MessageType.PEER_LOST, connectionId: cid, epoch });
    expect(watcher.replica.get(cid)).toBeDefined(); // still in the room during the grace window

    const back = await dev.join(room, "flaky", { key, rev: 2, epoch });
    expect(back.welcome?.connectionId).toBe(cid);
    await watcher.waitFor(() => (watcher.replica.get(cid)?.epoch ?? 0) > epoch, 5000, "the newer epoch");
    await sleep(QUIET_MS);
    expect(watcher.events.filter((e) => e.kind === "leave")).toEqual([]);
    expect(old.lostPeers).toEqual([]);
    expect(old.errors).toEqual([]);
  });
});

describe("broadcast events across processes", () => {
  let redis: RedisServer;
  let auth: TokenAuthority;
  const scaled: PresenceProcess[] = [];
  const split: RoleProcess[] = [];
  const clients: TestClient[] = [];
  const connect = async (server: PresenceProcess, room: string, user: string): Promise<TestClient> => {
    const c = await auth.connect(server, room, user, { rev: 2 });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    redis = await startRedisServer();
    auth = await startTokenAuthority();
    const grpcPort = await freePort();
    const common = ["--jwks-url", auth.jwksUrl];
    const [s1, s2, pod] = await Promise.all([
      startPresenceProcess([...common, "--redis", redis.url], "events-a"),
      startPresenceProcess([...common, "--redis", redis.url], "events-b"),
      startRole("pod", "events-pod", ["--grpc-port", String(grpcPort), "--pod-id", "events-pod"]),
    ]);
    scaled.push(s1, s2);
    split.push(pod);
    const pods = ["--pods", `127.0.0.1:${grpcPort}`];
    split.push(
      ...(await Promise.all([
        startRole("edge", "events-edge-1", [...common, ...pods]),
        startRole("edge", "events-edge-2", [...common, ...pods]),
      ])),
    );
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.terminate();
    await Promise.all([...scaled, ...split].map((p) => p.kill9()));
    await auth?.close();
    await redis?.stop();
  });

  it("relays between two serve processes over Redis, never back to the sender", async () => {
    const room = "events-scaled";
    const a = await connect(scaled[0]!, room, "alice");
    const b = await connect(scaled[1]!, room, "bob");
    const c = await connect(scaled[0]!, room, "carol");
    // Each pod joins the room on the bus when its first member arrives: an event is live only.
    await b.waitFor(() => b.replica.size === 3, 10_000, "everyone on both processes");
    broadcast(a, { follow: "alice" });
    broadcast(b, { follow: "bob" });
    await receivedBy([b, c], 1, "events across the bus");
    await receivedBy([a], 1, "bob's event at alice");
    await sleep(QUIET_MS);
    expect(b.broadcasts.map((m) => m.event)).toEqual([{ follow: "alice" }]);
    await receivedBy([c], 2, "both events at carol");
    const follows = c.broadcasts.map((m) => JSON.stringify(m.event)).sort();
    expect(follows).toEqual(['{"follow":"alice"}', '{"follow":"bob"}']);
    expect(a.broadcasts.map((m) => m.event)).toEqual([{ follow: "bob" }]);
  });

  it("relays between two edges through a pod over gRPC", async () => {
    const room = "events-split";
    const a = await connect(split[1]!, room, "alice");
    const b = await connect(split[2]!, room, "bob");
    await b.waitFor(() => b.replica.size === 2, 10_000, "both edges see both");
    broadcast(a, { ping: 1 });
    await receivedBy([b], 1, "the event through the pod");
    await sleep(QUIET_MS);
    expect(b.broadcasts.map((m) => [m.userId, m.event])).toEqual([["alice", { ping: 1 }]]);
    expect(a.broadcasts).toEqual([]);
  });
});
