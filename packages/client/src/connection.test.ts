import { ERRORS, type ErrorCode, MessageType } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import {
  BACKOFF_MS,
  CRASH_WINDOW_MS,
  NOW_SPREAD_MS,
  RESTART_PROBE_MS,
  RESTART_WINDOW_MS,
  SLOW_BACKOFF_MS,
} from "./backoff.js";
import {
  CLOSE_DEAD_SOCKET,
  CONNECT_TIMEOUT_MS,
  type ConnectionHandlers,
  createConnection,
  policyForCloseCode,
  STABLE_CONNECTION_MS,
} from "./connection.js";
import { createFakeClock } from "./test-support/fake-clock.js";
import { join, LIMITS } from "./test-support/fake-server.js";
import { createFakeNetwork } from "./test-support/fake-socket.js";
import { AuthError, createTokenSource } from "./token-source.js";
import type { PresenceError, Status } from "./types.js";

const CID = "KmyCidAAAAAAAAAAAAAAAAAA";
const KEY = "myKeyAAAAAAAAAAAAAAAAA";

function jwt(exp: number, n: number): string {
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");
  return `${b64({ alg: "ES256" })}.${b64({ sub: "me", exp, n })}.sig`;
}

function setup(
  options: { static?: boolean; lifetimeS?: number; auth?: (n: number) => Promise<string> } = {},
) {
  const clock = createFakeClock();
  const net = createFakeNetwork();
  const statuses: Status[] = [];
  const errors: PresenceError[] = [];
  const log: string[] = [];
  let fetched = 0;
  let keys = 0;
  const lifetime = options.lifetimeS ?? 600;
  const tokens = options.static
    ? createTokenSource({ token: jwt(clock.now() / 1000 + lifetime, 0) })
    : createTokenSource({
        authEndpoint: async () => {
          fetched++;
          if (options.auth) return options.auth(fetched);
          return jwt(Math.floor(clock.now() / 1000) + lifetime, fetched);
        },
      });
  const handlers: ConnectionHandlers = {
    status: (s) => statuses.push(s),
    welcome: () => log.push("welcome"),
    message: (m) => log.push(`message ${m.type}`),
    event: (m) => log.push(`event ${m.type}`),
    error: (e) => errors.push(e),
    undecodable: (e) => log.push(`undecodable ${e.code}`),
    lost: () => log.push("lost"),
    gaveUp: () => log.push("gaveUp"),
  };
  const connection = createConnection({
    baseUrl: "ws://edge.test",
    roomId: "room:1",
    identityKey: KEY,
    newIdentityKey: () => `fresh${++keys}`.padEnd(22, "A"),
    tokens,
    WebSocket: net.WebSocket,
    timers: clock,
    random: () => 0.5,
    handlers,
  });
  return { clock, net, statuses, errors, log, connection, fetched: () => fetched };
}

/** Plays the server's opening on the newest socket, with a welcome matching the given token lifetime. */
function joinLatest(net: ReturnType<typeof createFakeNetwork>, clock: { now(): number }, lifetimeS = 600) {
  return join(net.last(), {
    welcome: { serverTime: clock.now(), tokenExp: Math.floor(clock.now() / 1000) + lifetimeS },
  });
}

describe("createConnection", () => {
  it("goes initial → connecting → connected, and only after the join snapshot", async () => {
    const { clock, net, statuses, connection, log } = setup();
    expect(connection.status).toBe("initial");
    connection.connect();
    expect(connection.state.kind).toBe("authenticating");
    await clock.settle();
    expect(connection.state.kind).toBe("opening");
    const socket = net.last();
    expect(socket.binaryType).toBe("arraybuffer");
    expect(socket.url.pathname).toBe("/v1/rooms/room%3A1");
    expect(socket.query.get("key")).toBe(KEY);
    expect(socket.query.get("cid")).toBeNull();
    expect(socket.query.get("epoch")).toBe("0");
    expect(socket.query.get("token")).toMatch(/^ey/);
    // The token travels as a subprotocol, never in the URL that proxies log (PROTOCOL.md §1).
    expect(socket.url.searchParams.get("token")).toBeNull();
    expect(socket.protocols[0]).toBe("collabblocks");
    expect(socket.protocols[1]).toMatch(/^collabblocks\.token\.ey/);
    socket.accept();
    socket.deliver({ ...joinWelcome(clock.now()), connectionId: CID });
    expect(connection.state.kind).toBe("joining");
    expect(connection.status).toBe("connecting");
    socket.deliver({ type: MessageType.SNAPSHOT_DONE, syncId: 0, total: 0 });
    expect(connection.state.kind).toBe("connected");
    expect(statuses).toEqual(["connecting", "connected"]);
    expect(log).toEqual(["welcome", "message 202"]);
  });

  it("reconnects after a drop with backoff, keeping its connectionId and sending the last epoch", async () => {
    const { clock, net, statuses, connection, log } = setup();
    connection.connect();
    await clock.settle();
    const welcome = joinLatest(net, clock);
    net.last().drop(1006);
    expect(log).toContain("lost");
    expect(connection.state).toMatchObject({ kind: "backoff", delayMs: BACKOFF_MS[0] });
    expect(statuses.at(-1)).toBe("reconnecting");
    await clock.advance((BACKOFF_MS[0] as number) - 1);
    expect(net.sockets).toHaveLength(1);
    await clock.advance(1);
    expect(net.sockets).toHaveLength(2);
    expect(net.last().query.get("key")).toBe(KEY);
    expect(net.last().query.get("epoch")).toBe(String(welcome.epoch));
    joinLatest(net, clock);
    expect(statuses.at(-1)).toBe("connected");
  });

  it("walks the backoff table while attempts keep failing", async () => {
    const { clock, net, connection } = setup();
    connection.connect();
    await clock.settle();
    const delays: number[] = [];
    for (let i = 0; i < BACKOFF_MS.length + 2; i++) {
      net.last().drop(1006);
      const s = connection.state;
      if (s.kind !== "backoff") throw new Error(`expected backoff, got ${s.kind}`);
      delays.push(s.delayMs);
      await clock.advance(s.delayMs);
    }
    expect(delays).toEqual([...BACKOFF_MS, 10000, 10000]);
  });

  it("starts the table over after a connection that stayed up", async () => {
    const { clock, net, connection } = setup();
    connection.connect();
    await clock.settle();
    for (let i = 0; i < 3; i++) {
      net.last().drop(1006);
      const s = connection.state;
      if (s.kind !== "backoff") throw new Error(`expected backoff, got ${s.kind}`);
      await clock.advance(s.delayMs);
    }
    expect(connection.state.kind).toBe("opening");
    joinLatest(net, clock);
    await clock.advance(STABLE_CONNECTION_MS);
    net.last().drop(1006);
    expect(connection.state).toMatchObject({ kind: "backoff", delayMs: BACKOFF_MS[0] });
  });

  it("reuses a still-valid token to reconnect instead of fetching one", async () => {
    const { clock, net, connection, fetched } = setup();
    connection.connect();
    await clock.settle();
    joinLatest(net, clock);
    net.last().drop(1006);
    await clock.advance(1000);
    expect(net.sockets).toHaveLength(2);
    expect(fetched()).toBe(1);
  });

  it("pings every heartbeat and abandons a socket that stays silent for two", async () => {
    const { clock, net, connection, log } = setup();
    connection.connect();
    await clock.settle();
    joinLatest(net, clock);
    const socket = net.last();
    await clock.advance(3 * LIMITS.heartbeatMs);
    expect(socket.sentOfType(MessageType.PING)).toHaveLength(3); // answered by the fake server
    expect(connection.state.kind).toBe("connected");
    socket.autoPong = false; // the server goes silent (half-open socket)
    await clock.advance(LIMITS.heartbeatMs);
    expect(connection.state.kind).toBe("connected");
    await clock.advance(LIMITS.heartbeatMs);
    expect(socket.closedByClient?.code).toBe(CLOSE_DEAD_SOCKET);
    expect(log).toContain("lost");
    expect(connection.state.kind).toBe("backoff");
  });

  it("sends the text keepalive a server offers, and takes its answer as a sign of life only", async () => {
    const { clock, net, connection, log } = setup();
    connection.connect();
    await clock.settle();
    join(net.last(), { welcome: { serverTime: clock.now(), limits: { ...LIMITS, keepaliveMs: 500 } } });
    const socket = net.last();
    await clock.advance(1600);
    expect(socket.textSent).toEqual(["ping", "ping", "ping"]);
    expect(log.filter((l) => l.startsWith("undecodable"))).toEqual([]);
    expect(connection.state.kind).toBe("connected");
  });

  it("abandons a socket whose keepalives go unanswered for three intervals", async () => {
    const { clock, net, connection, log } = setup();
    connection.connect();
    await clock.settle();
    join(net.last(), {
      welcome: { serverTime: clock.now(), limits: { ...LIMITS, heartbeatMs: 30_000, keepaliveMs: 500 } },
    });
    const socket = net.last();
    socket.autoPong = false; // the server went away without a close (half-open socket)
    await clock.advance(1000);
    expect(connection.state.kind).toBe("connected");
    await clock.advance(600);
    expect(socket.closedByClient?.code).toBe(CLOSE_DEAD_SOCKET);
    expect(log).toContain("lost");
  });

  it("sends no keepalive to a server that does not offer one", async () => {
    const { clock, net, connection } = setup();
    connection.connect();
    await clock.settle();
    joinLatest(net, clock);
    await clock.advance(3 * LIMITS.heartbeatMs);
    expect(net.last().textSent).toEqual([]);
  });

  it("abandons an attempt that gets no welcome within the connect timeout", async () => {
    const { clock, net, connection } = setup();
    connection.connect();
    await clock.settle();
    net.last().accept();
    await clock.advance(CONNECT_TIMEOUT_MS);
    expect(net.sockets[0]?.closedByClient?.code).toBe(CLOSE_DEAD_SOCKET);
    expect(connection.state.kind).toBe("backoff");
  });

  it("renews the token in-band 60 s before a 10-minute token expires", async () => {
    const { clock, net, connection, fetched } = setup();
    connection.connect();
    await clock.settle();
    joinLatest(net, clock);
    const socket = net.last();
    await clock.advance(539_000);
    expect(socket.sentOfType(MessageType.AUTH)).toHaveLength(0);
    await clock.advance(1000);
    const auth = socket.sentOfType(MessageType.AUTH);
    expect(auth).toHaveLength(1);
    expect(fetched()).toBe(2);
    // The new token (exp = now + 600 s) is renewed 540 s later again.
    await clock.advance(540_000);
    expect(socket.sentOfType(MessageType.AUTH)).toHaveLength(2);
  });

  it("renews a short-lived token at 80 % of its lifetime", async () => {
    const { clock, net, connection } = setup({ lifetimeS: 30 });
    connection.connect();
    await clock.settle();
    joinLatest(net, clock, 30);
    const socket = net.last();
    await clock.advance(23_900);
    expect(socket.sentOfType(MessageType.AUTH)).toHaveLength(0);
    await clock.advance(200);
    expect(socket.sentOfType(MessageType.AUTH)).toHaveLength(1);
  });

  it("fetches a new token after the server refuses one, then connects with it", async () => {
    const { clock, net, connection, fetched, errors } = setup();
    connection.connect();
    await clock.settle();
    const first = net.last().query.get("token");
    refuse(net.last(), "INVALID_TOKEN");
    expect(errors).toEqual([{ code: "INVALID_TOKEN", message: "refused", fatal: true }]);
    expect(connection.state).toMatchObject({ kind: "backoff", policy: "new-token-backoff" });
    await clock.advance(BACKOFF_MS[0] as number);
    expect(fetched()).toBe(2);
    expect(net.last().query.get("token")).not.toBe(first);
  });

  it("retries a failing auth endpoint with backoff and gives up when it refuses", async () => {
    let calls = 0;
    const { clock, connection, errors, statuses } = setup({
      auth: async () => {
        calls++;
        throw calls === 1 ? new AuthError("HTTP 503", true) : new AuthError("HTTP 403", false);
      },
    });
    connection.connect();
    await clock.settle();
    expect(errors[0]).toMatchObject({ code: "AUTH_FAILED", fatal: false });
    expect(connection.state.kind).toBe("backoff");
    await clock.advance(BACKOFF_MS[0] as number);
    expect(errors[1]).toMatchObject({ code: "AUTH_FAILED", fatal: true });
    expect(statuses.at(-1)).toBe("disconnected");
  });

  it("closes with 1000 on leave and never reconnects", async () => {
    const { clock, net, connection, statuses } = setup();
    connection.connect();
    await clock.settle();
    joinLatest(net, clock);
    connection.close();
    expect(net.last().closedByClient?.code).toBe(1000);
    expect(statuses.at(-1)).toBe("disconnected");
    net.last().drop(1000);
    await clock.advance(60_000);
    expect(net.sockets).toHaveLength(1);
    expect(connection.send({ type: MessageType.PING, t: 0 })).toBe(false);
  });

  it("reports a frame it cannot decode and stays connected", async () => {
    const { clock, net, connection, log } = setup();
    connection.connect();
    await clock.settle();
    joinLatest(net, clock);
    net.last().deliverData(new Uint8Array([0xc1]).buffer);
    net.last().deliverData("text");
    expect(log.filter((l) => l.startsWith("undecodable"))).toEqual([
      "undecodable MALFORMED_MESSAGE",
      "undecodable MALFORMED_MESSAGE",
    ]);
    expect(connection.state.kind).toBe("connected");
  });
});

describe("fatal error codes", () => {
  const fatalCodes = (Object.keys(ERRORS) as ErrorCode[]).filter((c) => ERRORS[c].fatal);

  it.each(fatalCodes)("%s follows its retry policy from the ERRORS table", async (code) => {
    const { clock, net, connection, fetched, statuses, log } = setup();
    connection.connect();
    await clock.settle();
    joinLatest(net, clock);
    await clock.advance(STABLE_CONNECTION_MS);
    refuse(net.last(), code);
    const policy = ERRORS[code].retry;
    switch (policy) {
      case "never":
        await clock.advance(120_000);
        expect(net.sockets).toHaveLength(1);
        expect(statuses.at(-1)).toBe("disconnected");
        expect(log).toContain("gaveUp");
        break;
      case "now":
        await clock.advance(NOW_SPREAD_MS);
        expect(net.sockets).toHaveLength(2);
        expect(fetched()).toBe(1);
        break;
      case "new-token-now":
        await clock.advance(NOW_SPREAD_MS);
        expect(net.sockets).toHaveLength(2);
        expect(fetched()).toBe(2);
        break;
      case "new-token-backoff":
        await clock.advance((BACKOFF_MS[0] as number) * 0.8 - 1);
        expect(net.sockets).toHaveLength(1);
        await clock.advance((BACKOFF_MS[0] as number) * 0.4);
        expect(net.sockets).toHaveLength(2);
        expect(fetched()).toBe(2);
        break;
      case "slow-backoff":
        await clock.advance((SLOW_BACKOFF_MS[0] as number) * 0.8 - 1);
        expect(net.sockets).toHaveLength(1);
        await clock.advance((SLOW_BACKOFF_MS[0] as number) * 0.4);
        expect(net.sockets).toHaveLength(2);
        break;
      case "new-identity":
        // CONNECTION_ID_TAKEN: at once, with a fresh identity key and no epoch to resume.
        await clock.advance(NOW_SPREAD_MS);
        expect(net.sockets).toHaveLength(2);
        expect(net.last().query.get("key")).toBe("fresh1".padEnd(22, "A"));
        expect(net.last().query.get("epoch")).toBe("0");
        break;
      default:
        throw new Error(`unexpected policy ${policy}`);
    }
  });

  it("gives up on token errors when the token is static (it cannot be replaced)", async () => {
    const { clock, net, connection, statuses } = setup({ static: true });
    connection.connect();
    await clock.settle();
    joinLatest(net, clock);
    refuse(net.last(), "TOKEN_EXPIRED");
    await clock.advance(60_000);
    expect(net.sockets).toHaveLength(1);
    expect(statuses.at(-1)).toBe("disconnected");
  });

  it("probes a restarting server every 500 ms for 6 s, then backs off", async () => {
    const { clock, net, connection } = setup();
    connection.connect();
    await clock.settle();
    joinLatest(net, clock);
    await clock.advance(STABLE_CONNECTION_MS);
    refuse(net.last(), "SERVER_SHUTTING_DOWN");
    await clock.advance(NOW_SPREAD_MS);
    refuse(net.last(), "SERVER_SHUTTING_DOWN");
    expect(connection.state).toMatchObject({ kind: "backoff", delayMs: RESTART_PROBE_MS });
    // The restarting process refuses connections: every probe fails like a dead socket.
    const start = clock.now();
    while (clock.now() - start < RESTART_WINDOW_MS - RESTART_PROBE_MS * 1.2) {
      await clock.advance(RESTART_PROBE_MS * 1.2);
      net.last().drop();
      await clock.settle();
      if (clock.now() - start < RESTART_WINDOW_MS - RESTART_PROBE_MS * 1.2) {
        expect(connection.state).toMatchObject({ kind: "backoff", delayMs: RESTART_PROBE_MS });
      }
    }
    await clock.advance(RESTART_WINDOW_MS);
    net.last().drop();
    await clock.settle();
    expect(connection.state).toMatchObject({ kind: "backoff", delayMs: BACKOFF_MS[0] });
  });

  it("after a crash drop (1006) takes the table's first step, then probes every 500 ms for 10 s", async () => {
    const { clock, net, connection } = setup();
    connection.connect();
    await clock.settle();
    joinLatest(net, clock);
    await clock.advance(STABLE_CONNECTION_MS);
    net.last().drop(1006);
    expect(connection.state).toMatchObject({ kind: "backoff", delayMs: BACKOFF_MS[0] });
    const start = clock.now();
    await clock.advance(BACKOFF_MS[0] as number);
    while (clock.now() - start < CRASH_WINDOW_MS - RESTART_PROBE_MS * 1.2) {
      net.last().drop(1006); // the server is still down
      await clock.settle();
      expect(connection.state).toMatchObject({ kind: "backoff", delayMs: RESTART_PROBE_MS });
      await clock.advance(RESTART_PROBE_MS * 1.2);
    }
    await clock.advance(CRASH_WINDOW_MS);
    net.last().drop(1006);
    await clock.settle();
    // Past the window the table resumes where it was (its second step).
    expect(connection.state).toMatchObject({ kind: "backoff", delayMs: BACKOFF_MS[1] });
  });

  it("tries at once when woken (online, focus, visible) during a plain backoff, not during a slow one", async () => {
    const { clock, net, connection } = setup();
    connection.connect();
    await clock.settle();
    for (let i = 0; i < 4; i++) {
      net.last().drop(1006); // not welcomed: the table climbs
      await clock.advance((connection.state as { delayMs: number }).delayMs);
    }
    net.last().drop(1006);
    expect((connection.state as { delayMs: number }).delayMs).toBeGreaterThan(1000);
    const before = net.sockets.length;
    connection.wake();
    await clock.settle();
    expect(net.sockets.length).toBe(before + 1);
    joinLatest(net, clock);
    refuse(net.last(), "ROOM_FULL"); // slow backoff: the server asked for room
    const waiting = net.sockets.length;
    connection.wake();
    await clock.settle();
    expect(net.sockets.length).toBe(waiting);
  });

  it("maps close codes without an ERROR message to a policy", () => {
    expect(policyForCloseCode(1012)).toBe("now");
    expect(policyForCloseCode(4001)).toBe("new-token-backoff");
    expect(policyForCloseCode(4010)).toBe("slow-backoff"); // SLOW_CONSUMER
    expect(policyForCloseCode(4009)).toBe("never");
    expect(policyForCloseCode(4005)).toBe("slow-backoff");
    expect(policyForCloseCode(1006)).toBe("backoff");
  });
});

function joinWelcome(now: number) {
  return {
    type: MessageType.WELCOME,
    connectionId: CID,
    userId: "me",
    epoch: 1,
    serverTime: now,
    tokenExp: Math.floor(now / 1000) + 600,
    limits: LIMITS,
    rttBuckets: [1, 10],
  } as const;
}

/** The server refuses: an ERROR with the code, then a close with its close code. */
function refuse(socket: ReturnType<ReturnType<typeof createFakeNetwork>["last"]>, code: ErrorCode): void {
  if (socket.readyState === 0) socket.accept();
  socket.deliver({ type: MessageType.ERROR, code, message: "refused", fatal: true });
  socket.drop(ERRORS[code].closeCode ?? 1011);
}
