import type { BatchEntry, ErrorCode } from "@collabblocks/protocol";
import { MessageType } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import type { WebSocket } from "ws";
import { createSilentLogger } from "../ops/logger.js";
import { createMetrics } from "../ops/metrics.js";
import { CLOCK_START, createFakeClock } from "../test-support/fake-clock.js";
import type { Connection, EndMode } from "./connection.js";
import { createConnection } from "./connection.js";
import { armExpiry, endConnection } from "./connection-end.js";
import type { EdgeContext } from "./edge-context.js";
import type { EdgeRoom } from "./edge-room.js";
import { createGhosts } from "./ghosts.js";

/** A room that records what the edge asks of it. */
function fakeRoom() {
  const published: BatchEntry[] = [];
  const removed: { cid: string; leave: BatchEntry | undefined }[] = [];
  const room = {
    roomId: "r",
    holds: 0,
    replica: { get: () => ({ epoch: 1 }) },
    publish: (e: BatchEntry) => published.push(e),
    members: new Map(),
    remove: (m: Connection, leave: BatchEntry | undefined) => removed.push({ cid: m.connectionId, leave }),
    checkIdle: () => {},
  };
  return { room: room as unknown as EdgeRoom<Connection>, published, removed };
}

function setup() {
  const clock = createFakeClock();
  const metrics = createMetrics(
    { connections: () => 0, rooms: () => 0, backlog: () => 0, evictions: () => 0 },
    { defaultMetrics: false },
  );
  const closes: { code: number; reason: string }[] = [];
  const ws = {
    readyState: 1,
    OPEN: 1,
    bufferedAmount: 0,
    send: () => {},
    close: (code: number, reason: string) => closes.push({ code, reason }),
  } as unknown as WebSocket;
  const { room, published, removed } = fakeRoom();
  const relayed: unknown[] = [];
  const ctx = {
    options: {
      metrics,
      logger: createSilentLogger(),
      link: { event: (_room: string, e: unknown) => relayed.push(e) },
    },
    clock,
    ghosts: createGhosts(clock, 4000),
    connectionCount: 1,
  } as unknown as EdgeContext;
  const conn = createConnection({
    ws,
    room,
    ip: "127.0.0.1",
    connectionId: "cid-aaaaaaaaaaaaaaaaaaaa",
    userId: "alice",
    info: undefined,
    plan: "pro",
    tokenExp: CLOCK_START / 1000 + 60,
    epoch: 1,
    state: {},
    now: 0,
  });
  return { clock, ctx, conn, closes, published, removed, relayed };
}

describe("endConnection", () => {
  it.each<[EndMode, boolean]>([
    ["left", true],
    ["expired", true],
    ["replaced", false],
    ["shutdown", false],
  ])("%s: removes the connection once, with a leave only when peers must see one", (mode, leave) => {
    const t = setup();
    endConnection(t.ctx, t.conn, mode);
    endConnection(t.ctx, t.conn, mode); // idempotent
    expect(t.removed).toHaveLength(1);
    expect(t.removed[0]!.leave !== undefined).toBe(leave);
    expect(t.ctx.connectionCount).toBe(0);
  });

  it("ghost: keeps the entry for the grace period, then publishes an expired leave", async () => {
    const t = setup();
    endConnection(t.ctx, t.conn, "ghost");
    expect(t.removed[0]!.leave).toBeUndefined();
    // Peers elsewhere are told at once that it is reconnecting (PROTOCOL.md §9).
    expect(t.relayed).toEqual([{ type: MessageType.PEER_LOST, connectionId: t.conn.connectionId, epoch: 1 }]);
    await t.clock.advance(3999);
    expect(t.published).toEqual([]);
    await t.clock.advance(1);
    expect(t.published).toMatchObject([
      { kind: "leave", reason: "expired", connectionId: t.conn.connectionId },
    ]);
  });

  it("sends the fatal error and closes with the code's close code when given one", () => {
    const t = setup();
    endConnection(
      t.ctx,
      t.conn,
      "expired",
      "ABUSIVE_CLIENT" satisfies ErrorCode,
      "too many refused messages",
    );
    expect(t.closes).toEqual([{ code: 4008, reason: "ABUSIVE_CLIENT" }]);
  });

  it("a deferred enter that never went out leaves no leave behind", () => {
    const t = setup();
    t.conn.enterTimer = t.clock.setTimeout(() => {}, 1000);
    endConnection(t.ctx, t.conn, "left");
    expect(t.removed[0]!.leave).toBeUndefined();
    expect(t.conn.enterTimer).toBeUndefined();
  });
});

describe("armExpiry", () => {
  it("closes the connection with TOKEN_EXPIRED at the token's exp on the injected clock, and re-arms on renewal", async () => {
    const t = setup();
    armExpiry(t.ctx, t.conn);
    await t.clock.advance(59_000);
    t.conn.tokenExp += 60; // a renewal moved exp by a minute
    armExpiry(t.ctx, t.conn);
    await t.clock.advance(1_000);
    expect(t.closes).toEqual([]);
    await t.clock.advance(60_000);
    expect(t.closes).toEqual([{ code: 4001, reason: "TOKEN_EXPIRED" }]);
    expect(t.conn.ended).toBe("ghost");
  });
});
