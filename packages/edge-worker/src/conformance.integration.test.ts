// The protocol's conformance cases against the Durable Object edge
// (docs/EDGE-WORKERS.md#testing-locally): the Worker in workerd (miniflare), a
// real pod with the Redis bus on a real redis-server, a Node edge on the same pod.
// Each case is the contract of PROTOCOL.md, not of this implementation: join and
// converge (§1, §5), identity across reconnects (§1), the rate limit and bad
// input (§6, §7), token attacks (§1), the plan gate, a room spanning both kinds of
// edge, and the unchanged SDK.
import { MessageType } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import {
  createTestKey,
  signToken,
  standardClaims,
  unsecuredToken,
} from "../../../test-support/jwks-server.js";
import { createClient, type WebSocketConstructor } from "../../client/src/index.js";
import { waitConverged } from "../../server/src/test-support/presence-processes.js";
import type { TestClient } from "../../server/src/test-support/test-client.js";
import { useDoEdge } from "./test-support/do-edge.js";

const suite = useDoEdge({ nodeEdge: true, vars: { GATES: JSON.stringify({ plans: ["pro", "team"] }) } });
const nowS = () => Math.floor(Date.now() / 1000);

/** A socket refused with `code` and its close code. */
async function refusedWith(client: TestClient, code: string, closeCode: number): Promise<void> {
  const closed = await client.closed;
  expect(client.errors.map((e) => e.code)).toEqual([code]);
  expect(closed.code).toBe(closeCode);
  expect(client.welcome).toBeUndefined();
}

describe("the Durable Object edge: joining and converging", () => {
  it("welcomes members, converges their presence and shows a clean close as left", async () => {
    const a = await suite.join("conv", "alice");
    const b = await suite.join("conv", "bob");
    expect(a.welcome!.limits).toMatchObject({ ratePerSecond: 20, burst: 5, maxFrameBytes: 4096 });
    a.update({ status: "editing", cursor: { x: 0.25, y: 0.5 } });
    b.update({ status: "idle" });
    await waitConverged([a, b], [a, b], 5000, "two members");
    await b.close(1000);
    await a.waitFor(
      () => a.events.some((e) => e.kind === "leave" && e.reason === "left"),
      5000,
      "bob's leave",
    );
    expect(a.others().size).toBe(0);
  });

  it("takes the SDK's dead-socket close (4000) as a drop, as the Node edge does: PEER_LOST, no leave", async () => {
    const a = await suite.join("drop4000", "alice", { rev: 2 });
    const b = await suite.join("drop4000", "bob", { rev: 2 });
    b.update({ status: "here" });
    await waitConverged([a, b], [a, b], 5000, "two members");
    await b.close(4000);
    await a.waitFor(() => a.lostPeers.length === 1, 5000, "PEER_LOST for bob");
    expect(a.lostPeers[0]).toMatchObject({ connectionId: b.welcome!.connectionId });
    expect(a.events.filter((e) => e.kind === "leave")).toEqual([]);
  });

  it("keeps an identity across reconnects: same connectionId from the key, a higher epoch, state kept", async () => {
    const key = "k".repeat(22);
    const first = await suite.join("ident", "carol", { key });
    first.update({ status: "here" });
    const watcher = await suite.join("ident", "dave");
    await waitConverged([watcher], [watcher, first], 5000, "carol seen");
    first.terminate();
    const again = await suite.join("ident", "carol", { key, epoch: first.welcome!.epoch });
    expect(again.welcome!.connectionId).toBe(first.welcome!.connectionId);
    expect(again.welcome!.epoch).toBeGreaterThan(first.welcome!.epoch);
    // The join snapshot holds its own entry (a reconnect), and peers still see its state.
    expect(again.replica.get(again.welcome!.connectionId)?.state).toEqual({ status: "here" });
    again.local = { status: "here" };
    await waitConverged([watcher], [watcher, again], 5000, "carol after reconnect");
    expect(watcher.events.filter((e) => e.kind === "leave")).toEqual([]);
  });

  it("refuses another user's connectionId and a derived id without its key", async () => {
    const owner = await suite.join("taken", "erin");
    const thief = suite.open({
      room: "taken",
      token: await suite.cluster.auth.sign({ sub: "mallory", room: "taken" }),
      cid: owner.welcome!.connectionId,
    });
    await refusedWith(thief, "CONNECTION_ID_TAKEN", 4011);
    const derived = suite.open({
      room: "taken",
      token: await suite.cluster.auth.sign({ sub: "erin", room: "taken" }),
      cid: `K${"a".repeat(23)}`,
    });
    await refusedWith(derived, "CONNECTION_ID_TAKEN", 4011);
  });
});

describe("the Durable Object edge: limits and bad input", () => {
  it("rate-limits patches at 20/s burst 5 without closing, and peers get only accepted ones", async () => {
    const a = await suite.join("rate", "frank");
    const b = await suite.join("rate", "grace");
    for (let i = 0; i < 15; i++)
      a.send({ type: MessageType.UPDATE_PRESENCE, set: { status: `s${i}` }, del: [] });
    // Each patch is answered: accepted ones come back in a batch (their clock counts them), the rest as RATE_LIMITED.
    const limited = () => a.errors.filter((e) => e.code === "RATE_LIMITED").length;
    const clockOf = (c: TestClient) => c.replica.get(a.welcome!.connectionId)?.clock ?? 0;
    await a.waitFor(() => clockOf(a) + limited() === 15, 5000, "every patch answered");
    expect(clockOf(a)).toBeGreaterThanOrEqual(5);
    expect(limited()).toBeGreaterThan(0);
    expect(a.errors.every((e) => !e.fatal)).toBe(true);
    await b.waitFor(() => clockOf(b) === clockOf(a), 5000, "peer has every accepted patch");
  });

  it("answers malformed, invalid and oversized input with typed errors and changes nothing", async () => {
    const a = await suite.join("bad", "heidi");
    const b = await suite.join("bad", "ivan");
    a.update({ status: "fine" });
    await waitConverged([b], [a, b], 5000, "before");
    a.sendRaw(Uint8Array.of(0xc1));
    a.sendRaw("a text frame");
    a.send({ type: MessageType.UPDATE_PRESENCE, set: { cursor: { x: 2, y: 0 } }, del: [] });
    a.send({ type: MessageType.UPDATE_PRESENCE, set: { note: "x".repeat(3000) }, del: [] });
    await a.waitFor(() => a.errors.length >= 4, 5000, "four errors");
    expect(a.errors.map((e) => e.code)).toEqual([
      "MALFORMED_MESSAGE",
      "MALFORMED_MESSAGE",
      "INVALID_PRESENCE",
      "PRESENCE_TOO_LARGE",
    ]);
    // A good patch after them arrives alone: the refused ones changed nothing (messages are handled in order).
    a.update({ status: "still fine" });
    await b.waitFor(
      () => b.others().get(a.welcome!.connectionId)?.status === "still fine",
      5000,
      "good patch",
    );
    expect(b.others().get(a.welcome!.connectionId)).toEqual({ status: "still fine" });
    expect(a.errors).toHaveLength(4);
    a.sendRaw(new Uint8Array(5000));
    expect((await a.closed).code).toBe(1009);
  });
});

describe("the Durable Object edge: token attacks", () => {
  const room = "auth";
  const cases: [string, () => Promise<string>, string, number][] = [
    [
      "a bad signature",
      async () => signToken(await createTestKey(suite.cluster.auth.key.kid), { room }),
      "INVALID_TOKEN",
      4001,
    ],
    [
      "an expired token",
      () => suite.cluster.auth.sign({ room, iat: nowS() - 700, exp: nowS() - 60 }),
      "TOKEN_EXPIRED",
      4001,
    ],
    ["a token for another room", () => suite.cluster.auth.sign({ room: "elsewhere" }), "ROOM_MISMATCH", 4003],
    ["alg none", async () => unsecuredToken(standardClaims(room)), "INVALID_TOKEN", 4001],
    [
      "a lifetime over 15 min",
      () => suite.cluster.auth.sign({ room, exp: nowS() + 3600 }),
      "TOKEN_TOO_LONG_LIVED",
      4001,
    ],
    [
      "a plan the gates refuse",
      () => suite.cluster.auth.sign({ room, plan: "free" }),
      "PLAN_NOT_ENABLED",
      4003,
    ],
  ];
  for (const [what, token, code, closeCode] of cases) {
    it(`refuses ${what} with ${code} after the upgrade`, async () => {
      await refusedWith(suite.open({ room, token: await token() }), code, closeCode);
    });
  }

  it("refuses the pod link path without the link secret", async () => {
    const ws = new WebSocket(`${suite.cluster.workerWsUrl}/v1/link/auth`);
    // The refused handshake ends in an error event: expected, the status is what is checked.
    ws.on("error", () => {});
    const status = await new Promise<number>((resolve) => {
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => resolve(101));
    });
    ws.terminate();
    expect(status).toBe(401);
  });

  it("refuses a bad room id with INVALID_ROOM and a missing token with INVALID_TOKEN", async () => {
    await refusedWith(suite.open({ room: "bad room!", token: "x" }), "INVALID_ROOM", 4000);
    const ws = new WebSocket(`${suite.cluster.workerWsUrl}/v1/rooms/auth`);
    const errors: unknown[] = [];
    ws.on("message", (m: Buffer) => errors.push(m));
    const code = await new Promise<number>((resolve) => ws.on("close", (c) => resolve(c)));
    expect(code).toBe(4001);
    expect(errors).toHaveLength(1);
  });
});

describe("the Durable Object edge with a Node edge on the same pod", () => {
  it("converges a room whose members are on both kinds of edge, leaves included", async () => {
    const nodeUrl = suite.cluster.nodeEdge!.wsUrl;
    const onDo = [await suite.join("mixed", "judy"), await suite.join("mixed", "ken")];
    const onNode = [
      await suite.join("mixed", "leo", { url: nodeUrl }),
      await suite.join("mixed", "mia", { url: nodeUrl }),
    ];
    const all = [...onDo, ...onNode];
    for (const [i, c] of all.entries()) c.update({ status: `member-${i}`, cursor: { x: i / 10, y: 0.5 } });
    await waitConverged(all, all, 10_000, "mixed room");
    onDo[0]!.update({ cursor: { x: 0.9, y: 0.9 } });
    onNode[0]!.update({ cursor: { x: 0.1, y: 0.1 } });
    await waitConverged(all, all, 10_000, "mixed room, second round");
    await onNode[1]!.close(1000);
    await onDo[1]!.close(1000);
    const rest = [onDo[0]!, onNode[0]!];
    await waitConverged(rest, rest, 10_000, "after leaves");
  });
});

describe("broadcast events and lost peers across both kinds of edge (PROTOCOL.md §9)", () => {
  it("relays EVENT both ways through the pod and tells the other edge when a DO member drops", async () => {
    const nodeUrl = suite.cluster.nodeEdge!.wsUrl;
    const onDo = await suite.join("events", "nina", { rev: 2 });
    const onNode = await suite.join("events", "otto", { url: nodeUrl, rev: 2 });
    const oldOnDo = await suite.join("events", "pia"); // revision 1: never sent EVENT
    await waitConverged([onDo, onNode], [onDo, onNode, oldOnDo], 10_000, "events room");
    onDo.send({ type: MessageType.BROADCAST, event: { emoji: "🎉" } });
    onNode.send({ type: MessageType.BROADCAST, event: { follow: "otto" } });
    await onNode.waitFor(
      () => onNode.broadcasts.length === 1,
      10_000,
      "the DO member's event at the Node edge",
    );
    await onDo.waitFor(() => onDo.broadcasts.length === 1, 10_000, "the Node member's event at the DO edge");
    expect(onNode.broadcasts[0]).toMatchObject({ userId: "nina", event: { emoji: "🎉" } });
    expect(onDo.broadcasts[0]).toMatchObject({ userId: "otto", event: { follow: "otto" } });
    expect(oldOnDo.broadcasts).toEqual([]);
    const cid = onDo.welcome?.connectionId;
    onDo.terminate(); // no close frame: a ghost for the grace window
    await onNode.waitFor(() => onNode.lostPeers.length === 1, 10_000, "PEER_LOST from the DO edge");
    expect(onNode.lostPeers[0]).toMatchObject({ type: MessageType.PEER_LOST, connectionId: cid });
  });
});

describe("protocol revision 3 across both kinds of edge (PROTOCOL.md §1 `rev`, §4)", () => {
  it("serves rev=3 on the DO edge as revision 2 and on the Node edge as 3: one room converges, events flow", async () => {
    const nodeUrl = suite.cluster.nodeEdge!.wsUrl;
    const onDo = await suite.join("rev3", "quinn", { rev: 3 });
    const onNode = await suite.join("rev3", "rita", { url: nodeUrl, rev: 3 });
    for (let i = 1; i <= 5; i++) {
      onDo.update({ cursor: { x: i / 8, y: 0.5 } });
      onNode.update({ cursor: { x: 0.25, y: i / 8 } });
    }
    await waitConverged([onDo, onNode], [onDo, onNode], 10_000, "revision-3 room");
    onDo.send({ type: MessageType.BROADCAST, event: { emoji: "👋" } });
    await onNode.waitFor(() => onNode.broadcasts.length === 1, 10_000, "the DO member's event");
    expect(onDo.errors).toEqual([]);
    expect(onNode.errors).toEqual([]);
  });
});

describe("the unchanged SDK against the Durable Object edge", () => {
  it("connects, sees the others and follows their updates", async () => {
    const peer = await suite.join("sdk", "nina");
    peer.update({ status: "typing" });
    const client = createClient({
      url: suite.cluster.workerWsUrl,
      authEndpoint: (room) => suite.cluster.auth.sign({ sub: "oscar", room, info: { name: "oscar" } }),
      WebSocket: WebSocket as unknown as WebSocketConstructor,
    });
    try {
      const { room } = client.enterRoom<{ status?: string }>("sdk", {
        initialPresence: { status: "reading" },
      });
      const sees = (status: string) =>
        room.getOthers().some((o) => o.userId === "nina" && o.status === status);
      await peer.waitFor(
        () => [...peer.others().values()].some((s) => s.status === "reading"),
        10_000,
        "SDK seen",
      );
      for (const status of ["typing", "away"]) {
        if (status === "away") peer.update({ status });
        const start = Date.now();
        while (!sees(status)) {
          if (Date.now() - start > 10_000) throw new Error(`the SDK did not see ${status}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    } finally {
      client.destroy();
    }
  });
});
