import { MessageType, type PresenceData, RTT_BUCKETS_MS } from "@collabblocks/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RTT_REPORT_INTERVAL_MS } from "./rtt-tracker.js";
import { ALICE, BOB, createEcho, join, LIMITS, peer } from "./test-support/fake-server.js";
import { enterTestRoom } from "./test-support/room-harness.js";

describe("room: joining and presence", () => {
  it("connects, lists the snapshot's others and sends its initial presence once", async () => {
    const t = await enterTestRoom({ initialPresence: { status: "idle", avatar: "https://a.test/me.png" } });
    const socket = t.net.last();
    expect(socket.url.pathname).toBe("/v1/rooms/room-1");
    expect(socket.query.get("key")).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(t.room.connectionId).toBe(""); // the server's WELCOME names it
    expect(t.room.getStatus()).toBe("connecting");
    join(socket, { others: [peer(ALICE, { status: "editing" })] });
    await t.clock.settle();
    expect(t.statuses).toEqual(["connected"]);
    expect(t.room.getOthers()).toEqual([{ connectionId: ALICE, userId: "alice", status: "editing" }]);
    expect(t.others.map((o) => o.event.type)).toEqual(["reset"]);
    expect(socket.sentOfType(MessageType.UPDATE_PRESENCE)).toEqual([
      {
        type: MessageType.UPDATE_PRESENCE,
        set: { status: "idle", avatar: "https://a.test/me.png" },
        del: [],
      },
    ]);
    expect(t.room.getSelf()).toEqual({
      connectionId: t.room.connectionId,
      userId: "me",
      status: "idle",
      avatar: "https://a.test/me.png",
    });
  });

  it("merges updates shallowly, deletes keys set to undefined, and sends them as a delete list", async () => {
    const t = await enterTestRoom({ initialPresence: { status: "idle", cursor: { x: 0, y: 0 } } });
    join(t.net.last());
    await t.clock.settle();
    t.room.updatePresence({ cursor: undefined, meta: { tool: "pen" } });
    expect(t.room.getPresence()).toEqual({ status: "idle", meta: { tool: "pen" } });
    await t.clock.advance(16);
    expect(t.net.last().sentOfType(MessageType.UPDATE_PRESENCE).at(-1)).toEqual({
      type: MessageType.UPDATE_PRESENCE,
      set: { meta: { tool: "pen" } },
      del: ["cursor"],
    });
    expect(t.myPresence.at(-1)).toEqual({ status: "idle", meta: { tool: "pen" } });
  });

  it("refuses invalid presence with an error event and changes nothing", async () => {
    const t = await enterTestRoom();
    join(t.net.last());
    await t.clock.advance(100);
    const before = t.room.getPresence();
    const sent = t.net.last().received.length;
    t.room.updatePresence({ cursor: { x: 2, y: 0 } });
    t.room.updatePresence({ status: "x".repeat(65) });
    t.room.updatePresence({ meta: { blob: "x".repeat(2000) } });
    t.room.updatePresence({ avatar: "javascript:alert(1)" });
    expect(t.errors.map((e) => [e.code, e.fatal])).toEqual([
      ["INVALID_PRESENCE", false],
      ["INVALID_PRESENCE", false],
      ["PRESENCE_TOO_LARGE", false],
      ["INVALID_PRESENCE", false],
    ]);
    expect(t.room.getPresence()).toBe(before);
    await t.clock.advance(100);
    expect(t.net.last().received.length).toBe(sent);
    expect(() => t.room.updatePresence(null as never)).toThrow(TypeError);
  });

  it("ignores updates that change nothing", async () => {
    const t = await enterTestRoom({ initialPresence: { status: "idle" } });
    join(t.net.last());
    await t.clock.advance(100);
    const before = t.room.getPresence();
    t.room.updatePresence({ status: "idle" });
    expect(t.room.getPresence()).toBe(before);
    expect(t.myPresence).toEqual([]);
  });

  it("sends a burst of 1 000 updates as a bounded number of frames, last state winning", async () => {
    const t = await enterTestRoom();
    const socket = t.net.last();
    const welcome = join(socket);
    const echo = createEcho(socket, welcome);
    await t.clock.settle();
    for (let i = 0; i < 1000; i++) {
      t.room.updatePresence({ cursor: { x: i / 1000, y: 1 - i / 1000 } });
      if (i % 10 === 0) await t.clock.advance(1);
    }
    await t.clock.advance(2000);
    const frames = socket.sentOfType(MessageType.UPDATE_PRESENCE);
    expect(frames.length).toBeLessThanOrEqual(1 + 4 + 3 + 1); // re-assert, burst, ~100 ms at 20/s, tail
    expect(echo.state).toEqual(t.room.getPresence());
    expect(echo.state).toEqual({ status: "idle", cursor: { x: 0.999, y: 1 - 0.999 } });
    expect(t.errors).toEqual([]);
  });

  it("keeps getOthers() identical across its own echoes and unrelated changes", async () => {
    const t = await enterTestRoom();
    const socket = t.net.last();
    const welcome = join(socket, { others: [peer(ALICE, { status: "a" }), peer(BOB, { status: "b" })] });
    createEcho(socket, welcome, { status: "idle" });
    await t.clock.settle();
    const list = t.room.getOthers();
    const [alice] = list;
    t.room.updatePresence({ status: "editing" }); // echoed into the same room
    await t.clock.advance(50);
    expect(t.room.getOthers()).toBe(list);
    socket.deliver({
      type: MessageType.BATCH,
      entries: [
        { kind: "update", connectionId: BOB, epoch: 1, base: 0, clock: 1, set: { status: "b2" }, del: [] },
      ],
    });
    expect(t.room.getOthers()).not.toBe(list);
    expect(t.room.getOthers()[0]).toBe(alice);
    expect(t.room.getOther(BOB)?.status).toBe("b2");
    expect(t.others.at(-1)?.event).toMatchObject({ type: "update", user: { status: "b2" } });
  });

  it("answers a gap with a SYNC_REQUEST and applies the snapshot that comes back", async () => {
    const t = await enterTestRoom();
    const socket = t.net.last();
    join(socket, { others: [peer(ALICE, { status: "a" })] });
    await t.clock.settle();
    socket.deliver({
      type: MessageType.BATCH,
      entries: [
        { kind: "update", connectionId: ALICE, epoch: 1, base: 4, clock: 5, set: { status: "?" }, del: [] },
      ],
    });
    const [request] = socket.sentOfType(MessageType.SYNC_REQUEST);
    expect(request?.syncId).toBeGreaterThanOrEqual(1);
    expect(t.room.getOther(ALICE)?.status).toBe("a");
    const syncId = request?.syncId ?? 0;
    const entries = [
      peer(ALICE, { status: "fresh" }, { clock: 5 }),
      peer(t.room.connectionId, { status: "idle" }, { epoch: 1 }),
    ];
    socket.deliver({ type: MessageType.SNAPSHOT_CHUNK, syncId, entries });
    socket.deliver({ type: MessageType.SNAPSHOT_DONE, syncId, total: entries.length });
    expect(t.room.getOther(ALICE)?.status).toBe("fresh");
  });

  it("repairs its state with one full-state patch after the server refuses a patch", async () => {
    const t = await enterTestRoom({ initialPresence: { status: "idle", avatar: "https://a.test/x.png" } });
    const socket = t.net.last();
    join(socket, { selfState: { status: "idle", avatar: "https://a.test/x.png" } });
    await t.clock.settle();
    t.room.updatePresence({ avatar: undefined, cursor: { x: 0.1, y: 0.1 } });
    await t.clock.advance(20);
    socket.deliver({ type: MessageType.ERROR, code: "RATE_LIMITED", message: "slow down", fatal: false });
    await t.clock.advance(100);
    expect(t.errors).toEqual([{ code: "RATE_LIMITED", message: "slow down", fatal: false }]);
    expect(socket.sentOfType(MessageType.UPDATE_PRESENCE).at(-1)).toEqual({
      type: MessageType.UPDATE_PRESENCE,
      set: { status: "idle", cursor: { x: 0.1, y: 0.1 } },
      del: ["avatar"],
    });
  });

  it("pauses cursor updates while the page is hidden and resumes when visible", async () => {
    const t = await enterTestRoom({ throttle: 50 });
    const socket = t.net.last();
    join(socket);
    await t.clock.advance(100);
    t.room.updatePresence({ cursor: { x: 0.1, y: 0.1 } });
    t.setHidden(true);
    await t.clock.advance(100);
    t.room.updatePresence({ cursor: { x: 0.2, y: 0.2 } });
    t.room.updatePresence({ status: "away" });
    await t.clock.advance(1000);
    const sets = () => socket.sentOfType(MessageType.UPDATE_PRESENCE).map((m) => m.set as PresenceData);
    expect(sets().slice(1)).toEqual([{ cursor: { x: 0.1, y: 0.1 } }, { status: "away" }]);
    t.setHidden(false);
    await t.clock.advance(100);
    expect(sets().at(-1)).toEqual({ cursor: { x: 0.2, y: 0.2 } });
  });

  it("reports round trips of its own patches every 10 s in the welcome's buckets", async () => {
    const t = await enterTestRoom();
    const socket = t.net.last();
    const welcome = join(socket);
    const echo = createEcho(socket, welcome);
    echo.hold();
    await t.clock.settle();
    echo.flush(); // the re-assert, echoed at once: 0 ms
    for (const [i, delay] of [3, 30, 30, 700].entries()) {
      await t.clock.advance(200);
      t.room.updatePresence({ cursor: { x: i / 10, y: 0 } });
      await t.clock.settle();
      await t.clock.advance(delay);
      echo.flush();
    }
    await t.clock.advance(RTT_REPORT_INTERVAL_MS);
    const reports = socket.sentOfType(MessageType.RTT_REPORT);
    expect(reports).toHaveLength(1);
    const counts = reports[0]?.counts ?? [];
    expect(counts).toHaveLength(RTT_BUCKETS_MS.length + 1);
    const expected = new Array(RTT_BUCKETS_MS.length + 1).fill(0);
    expected[0] = 1; // 0 ms ≤ 1
    expected[2] = 1; // 3 ms ≤ 5
    expected[7] = 2; // 30 ms ≤ 30
    expected[RTT_BUCKETS_MS.length] = 1; // 700 ms: +Inf
    expect(counts).toEqual(expected);
    await t.clock.advance(RTT_REPORT_INTERVAL_MS);
    expect(socket.sentOfType(MessageType.RTT_REPORT)).toHaveLength(1); // nothing new: no report
  });

  it("closes with 1000 on leave, stops every timer and ignores later updates", async () => {
    const t = await enterTestRoom();
    join(t.net.last());
    await t.clock.settle();
    t.leave();
    expect(t.net.last().closedByClient?.code).toBe(1000);
    expect(t.room.getStatus()).toBe("disconnected");
    t.room.updatePresence({ status: "after" });
    await t.clock.advance(60_000);
    expect(t.clock.pending).toBe(0);
    expect(t.net.sockets).toHaveLength(1);
  });
});

describe("room: never rate-limited", () => {
  it("no call pattern, visibility change or reconnect draws RATE_LIMITED from a strict server bucket", async () => {
    const op = fc.record({
      gap: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 600 })),
      kind: fc.constantFrom("cursor", "drag", "drag", "status", "clear", "drop", "hide", "show"),
      x: fc.double({ min: 0, max: 1, noNaN: true }),
      frames: fc.integer({ min: 1, max: 60 }),
      every: fc.integer({ min: 2, max: 17 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 80 }), async (ops) => {
        const t = await enterTestRoom();
        let serverState: PresenceData = {};
        let epoch = 0;
        let refused = 0;
        const serve = () => {
          const socket = t.net.last();
          if (socket.readyState !== 0) return;
          epoch++;
          const welcome = join(socket, { selfState: serverState, welcome: { epoch } });
          // The edge's bucket: 20/s, burst 5, full when the socket opens; arrival = send time.
          let tokens = LIMITS.burst;
          let last = t.clock.now();
          const echo = createEcho(socket, welcome, serverState);
          const accept = socket.onClientMessage;
          socket.onClientMessage = (msg) => {
            if (msg.type !== MessageType.UPDATE_PRESENCE) return;
            tokens = Math.min(LIMITS.burst, tokens + ((t.clock.now() - last) * LIMITS.ratePerSecond) / 1000);
            last = t.clock.now();
            if (tokens < 1) {
              refused++;
              return;
            }
            tokens -= 1;
            accept?.(msg);
            serverState = echo.state;
          };
        };
        serve();
        for (const o of ops) {
          await t.clock.advance(o.gap);
          serve();
          if (o.kind === "cursor") t.room.updatePresence({ cursor: { x: o.x, y: 1 - o.x } });
          else if (o.kind === "drag") {
            for (let i = 0; i < o.frames; i++) {
              t.room.updatePresence({ cursor: { x: (o.x + i / 100) % 1, y: 0.5 } });
              await t.clock.advance(o.every);
            }
          } else if (o.kind === "status") t.room.updatePresence({ status: `s${Math.round(o.x * 5)}` });
          else if (o.kind === "clear") t.room.updatePresence({ cursor: undefined });
          else if (o.kind === "hide") t.setHidden(true);
          else if (o.kind === "show") t.setHidden(false);
          else if (t.net.last().readyState === 1) t.net.last().drop(1006);
        }
        t.setHidden(false);
        for (let i = 0; i < 20; i++) {
          await t.clock.advance(500);
          serve();
        }
        expect(refused).toBe(0);
        expect(serverState).toEqual(t.room.getPresence());
        t.leave();
      }),
      { numRuns: 60 },
    );
  });
});
