// The WebSocket gateway (docs/ARCHITECTURE.md#the-edge): upgrades on the HTTP server's port, refuses
// early (path, deny list, per-IP cap, room grammar, token), binds connectionIds
// to users, numbers epochs, runs liveness pings and token expiry, and shuts down
// cleanly. Rooms and fan-out live in edge-room.ts; message handling in connection.ts.
import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import {
  assertNever,
  decodeViewParam,
  ERRORS,
  type ErrorCode,
  encode,
  HEARTBEAT_MS,
  MAX_INBOUND_FRAME_BYTES,
  MAX_META_BYTES,
  MAX_STATE_BYTES,
  MessageType,
  ProtocolError,
  RATE_BURST,
  RATE_PER_SECOND,
  RTT_BUCKETS_MS,
  type ViewSpec,
  WS_SUBPROTOCOL,
} from "@collabblocks/protocol";
import type { Logger } from "pino";
import { type WebSocket, WebSocketServer } from "ws";
import { clientAddress, DEFAULT_TRUSTED_PROXIES, parseTrustedProxies } from "../limits/client-address.js";
import { createConnCounter } from "../limits/conn-counter.js";
import { createIpFilter, type IpFilter } from "../limits/ip-filter.js";
import { createStallMonitor } from "../limits/stall-monitor.js";
import type { EdgeLink } from "../link/edge-link.js";
import { type Clock, systemClock } from "../ops/clock.js";
import type { Metrics } from "../ops/metrics.js";
import { admit } from "./admission.js";
import type { TokenVerifier } from "./auth.js";
import { isRoomsPath, parseConnectUrl } from "./connect-url.js";
import {
  announce,
  type Connection,
  type ConnectionHooks,
  createConnection,
  ENTER_DEFER_MS,
  type EndMode,
  errorFrame,
  handleMessage,
} from "./connection.js";
import { DEFAULT_MAX_ROOM_CONNECTIONS, DEFAULT_TICK_MS, HANDSHAKE_TIMEOUT_MS } from "./edge-defaults.js";
import { createEdgeRoom, type EdgeRoom } from "./edge-room.js";
import type { FlushTimers } from "./flush-scheduler.js";
import { createGhosts } from "./ghosts.js";
import { deriveConnectionId, isDerivedConnectionId } from "./identity.js";
import { createKnownConnections } from "./known-connections.js";
import { createLiveness } from "./liveness.js";
import type { ConnectionObserver } from "./observer.js";
import { writeFrame, writeReply } from "./socket-writes.js";

/** Messages a client may send before its join completes (it should wait for the welcome). */
const MAX_EARLY_MESSAGES = 8;
/** How long shutdown waits for clients to acknowledge the 1012 close before terminating, ms. */
const SHUTDOWN_CLOSE_WAIT_MS = 2000;
/** How long a SLOW_CONSUMER close may take before the socket is destroyed, ms (it is not reading). */
const SLOW_CONSUMER_CLOSE_WAIT_MS = 1000;

export interface EdgeOptions {
  readonly link: EdgeLink;
  readonly verifier: TokenVerifier;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Longest wait before a room flush, ms (`--tick-ms`, DEFAULT_TICK_MS). */
  readonly tickMs?: number;
  /** Share of one core a room's flushes may take before they are spaced out (0–1, default 0.5). */
  readonly flushCpuShare?: number;
  /** Local connections per room (`--max-room-connections`, DEFAULT_MAX_ROOM_CONNECTIONS). */
  readonly maxRoomConnections?: number;
  /** Live connections per client address; 0 = unlimited (`--max-conns-per-ip`; default here 0). */
  readonly maxConnsPerIp?: number;
  /** Live connections per token subject; 0 = unlimited (`--max-conns-per-user`; default here 0). */
  readonly maxConnsPerUser?: number;
  /** Peers whose X-Forwarded-For names the client (`--trusted-proxies`; default loopback). */
  readonly trustedProxies?: readonly string[];
  /**
   * Browser origins allowed to open sockets (`--allowed-origins`): an upgrade whose
   * Origin header is not listed gets HTTP 403. Absent Origin (not a browser) passes:
   * any other client can write any Origin. Default: any origin.
   */
  readonly allowedOrigins?: readonly string[];
  /** Above this many connections a room stops sending everyone to connections without a view (`--large-room-threshold`). */
  readonly largeRoomThreshold?: number;
  /** CIDRs refused at the upgrade (`--deny-ips`). */
  readonly denyIps?: readonly string[];
  /** Server ping interval, ms; two missed pongs expire the connection (default 2 000). */
  readonly heartbeatMs?: number;
  /** How long a dropped connection stays visible awaiting a reconnect, ms (default 2 × heartbeat). */
  readonly ghostGraceMs?: number;
  readonly timers?: FlushTimers;
  /** Monotonic clock, ms. */
  readonly monotonicNow?: () => number;
  /** Wall clock, ms. */
  readonly now?: () => number;
  /** Timers of the edge's own parts (liveness); default the system clock. */
  readonly clock?: Clock;
  /** Told about local joins, accepted patches and ends (the shadow mirror, `--shadow-to`). */
  readonly observer?: ConnectionObserver;
  /** A socket not joined this long after its upgrade is refused with UNAVAILABLE, ms (default HANDSHAKE_TIMEOUT_MS). */
  readonly joinTimeoutMs?: number;
}

export interface Edge {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  setDenyList(cidrs: readonly string[]): void;
  /**
   * Re-checks live connections (rollout gates tightened): each one `check` refuses
   * is sent that error and closed, and leaves at once. Returns how many were closed.
   */
  revoke(
    check: (conn: { readonly plan: string; readonly org: string | undefined }) => ErrorCode | undefined,
  ): number;
  readonly connections: number;
  readonly rooms: number;
  backlog(): number;
  /** The edge's rooms (diagnostics and benchmarks: per-room flush statistics). */
  room(roomId: string): EdgeRoom<Connection> | undefined;
  /** Shutdown: refuse new sockets, SERVER_SHUTTING_DOWN + 1012 to every socket, wait, terminate the rest. */
  close(): Promise<void>;
}

function rejectHttp(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export function createEdge(options: EdgeOptions): Edge {
  const { link, verifier, metrics, logger } = options;
  const now = options.now ?? Date.now;
  const monotonicNow = options.monotonicNow ?? (() => performance.now());
  const clock = options.clock ?? systemClock;
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  const ghosts = createGhosts(clock, options.ghostGraceMs ?? 2 * heartbeatMs);
  const maxRoomConnections = options.maxRoomConnections ?? DEFAULT_MAX_ROOM_CONNECTIONS;
  const ipFilter: IpFilter = createIpFilter({ denyList: options.denyIps, maxPerIp: options.maxConnsPerIp });
  const perUser = createConnCounter(options.maxConnsPerUser ?? 0);
  const trustedProxies = parseTrustedProxies(options.trustedProxies ?? DEFAULT_TRUSTED_PROXIES);
  const allowedOrigins = options.allowedOrigins && new Set(options.allowedOrigins);
  const rooms = new Map<string, EdgeRoom<Connection>>();
  const known = createKnownConnections();
  const sockets = new Set<WebSocket>();
  /** Sockets whose join completed (the join timeout leaves them alone). */
  const joined = new WeakSet<WebSocket>();

  let connectionCount = 0;
  let shuttingDown = false;

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_INBOUND_FRAME_BYTES, // larger frames: ws closes with 1009
    perMessageDeflate: false, // frames are small MsgPack; compression costs CPU per socket
    clientTracking: false,
    skipUTF8Validation: true, // text frames are refused anyway
    // Select our subprotocol when offered (PROTOCOL.md §1); the token entry is never echoed.
    handleProtocols: (offered) => (offered.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
  });

  /** A fatal ERROR, written whatever the socket's backlog (once: the close follows). */
  const sendError = (ws: WebSocket, code: ErrorCode, message: string): void => {
    metrics.refusal(code);
    writeFrame(ws, errorFrame(code, message));
  };

  /** A reply (PONG, non-fatal ERROR): dropped while the socket is behind (socket-writes.ts). */
  const reply = (conn: Connection, frame: Uint8Array): void => {
    if (!writeReply(conn.ws, frame)) metrics.stats.repliesDropped++;
  };

  /** Refuses a socket that never joined: ERROR, then the code's close code. */
  const refuseSocket = (ws: WebSocket, code: ErrorCode, message: string): void => {
    logger.debug({ code }, "connection refused");
    sendError(ws, code, message);
    ws.close(ERRORS[code].closeCode ?? 1008, code);
  };

  const getRoom = (roomId: string): EdgeRoom<Connection> => {
    let room = rooms.get(roomId);
    if (room) return room;
    room = createEdgeRoom<Connection>({
      roomId,
      link,
      stats: metrics.stats,
      known,
      tickMs: options.tickMs ?? DEFAULT_TICK_MS,
      cpuShare: options.flushCpuShare,
      largeRoomThreshold: options.largeRoomThreshold,
      now: monotonicNow,
      timers: options.timers,
      onReplaced: (member) => end(member, "replaced", "SESSION_REPLACED", "connected again from elsewhere"),
      onIdle: (r) => {
        if (rooms.get(r.roomId) === r) rooms.delete(r.roomId);
        r.close();
      },
      onError: (err, context) => logger.error({ err, context }, "room error"),
    });
    rooms.set(roomId, room);
    return room;
  };

  /** Ends a connection once; sends a fatal error first when a code is given. */
  const end = (conn: Connection, mode: EndMode, code?: ErrorCode, message?: string): void => {
    if (conn.ended !== undefined) return;
    conn.ended = mode;
    connectionCount--;
    options.observer?.ended(conn, mode);
    if (conn.expiryTimer) clearTimeout(conn.expiryTimer);
    // Peers never saw a connection whose enter was still deferred: no leave for it.
    const announced = conn.enterTimer === undefined;
    if (conn.enterTimer) clearTimeout(conn.enterTimer);
    conn.enterTimer = undefined;
    const { room } = conn;
    if (code !== undefined) {
      sendError(conn.ws, code, message ?? code);
      conn.ws.close(ERRORS[code].closeCode ?? 1008, code);
    }
    const leaveOf = (reason: "left" | "expired") =>
      ({
        kind: "leave",
        connectionId: conn.connectionId,
        epoch: conn.epoch,
        clock: conn.clock,
        reason,
      }) as const;
    switch (mode) {
      case "left":
      case "expired":
        room.remove(conn, announced ? leaveOf(mode) : undefined);
        return;
      case "replaced":
      case "shutdown":
        room.remove(conn, undefined);
        return;
      case "ghost":
        // Keep the entry visible for a grace period: a reconnect takes it over without flicker.
        ghosts.hold(room, conn.connectionId, () => {
          const peer = room.replica.get(conn.connectionId);
          if (peer && peer.epoch === conn.epoch) room.publish(leaveOf("expired"));
        });
        room.remove(conn, undefined);
        return;
      default:
        assertNever(mode);
    }
  };

  const armExpiry = (conn: Connection): void => {
    if (conn.expiryTimer) clearTimeout(conn.expiryTimer);
    const delay = Math.max(0, conn.tokenExp * 1000 - now());
    conn.expiryTimer = setTimeout(
      () => end(conn, "ghost", "TOKEN_EXPIRED", "token expired; renew it in-band"),
      delay,
    );
  };

  const stalls = createStallMonitor();
  const hooks: ConnectionHooks = {
    now: monotonicNow,
    stallMs: () => stalls.recentStallMs(),
    wallNow: now,
    reply,
    sendError: (conn, code, message) => {
      metrics.refusal(code);
      reply(conn, errorFrame(code, message));
    },
    fail: (conn, code, message, mode) => end(conn, mode, code, message),
    renew(conn, token) {
      verifier.verify(token, conn.room.roomId).then(
        (result) => {
          if (conn.ended !== undefined) return;
          if (!result.ok) end(conn, "ghost", result.code, `renewal refused: ${result.message}`);
          else if (result.claims.sub !== conn.userId)
            end(conn, "ghost", "FORBIDDEN", "renewal is for another user");
          else {
            conn.tokenExp = result.claims.exp;
            conn.plan = result.claims.plan;
            conn.org = result.claims.org;
            armExpiry(conn);
          }
        },
        (err: unknown) => logger.error({ err }, "token renewal failed"),
      );
    },
    observeRtt: (counts) => metrics.observeRtt(counts),
    onAccepted: (conn, patch) => {
      metrics.stats.updatesIn++;
      options.observer?.updated(conn, patch);
    },
    onRateLimited: () => {
      metrics.stats.rateLimited++;
    },
  };

  const join = async (
    ws: WebSocket,
    req: IncomingMessage,
    ip: string,
    early: [Buffer, boolean][],
  ): Promise<void> => {
    const parsed = parseConnectUrl(req.url ?? "", req.headers["sec-websocket-protocol"]);
    if (!parsed.ok) return refuseSocket(ws, parsed.code, parsed.message);
    const verified = await verifier.verify(parsed.token, parsed.roomId);
    if (ws.readyState !== ws.OPEN) return;
    if (!verified.ok) return refuseSocket(ws, verified.code, verified.message);
    if (shuttingDown) return refuseSocket(ws, "SERVER_SHUTTING_DOWN", "server is shutting down");
    const claims = verified.claims;
    if (!perUser.acquire(claims.sub)) {
      return refuseSocket(ws, "TOO_MANY_CONNECTIONS", "too many connections for this user");
    }
    ws.once("close", () => perUser.release(claims.sub));
    const room = getRoom(parsed.roomId);
    room.holds++;
    try {
      await room.ready;
    } catch (err) {
      room.holds--;
      room.checkIdle();
      throw err;
    }
    room.holds--;
    if (ws.readyState !== ws.OPEN || shuttingDown) {
      if (ws.readyState === ws.OPEN) refuseSocket(ws, "SERVER_SHUTTING_DOWN", "server is shutting down");
      room.checkIdle();
      return;
    }
    if (
      parsed.key === undefined &&
      parsed.connectionId !== undefined &&
      isDerivedConnectionId(parsed.connectionId)
    ) {
      room.checkIdle();
      return refuseSocket(
        ws,
        "CONNECTION_ID_TAKEN",
        "a derived connectionId is resumed with its key, not as cid",
      );
    }
    const requested =
      parsed.key === undefined ? parsed.connectionId : deriveConnectionId(claims.sub, parsed.key);
    const admission = admit(
      room,
      { connectionId: requested, epoch: parsed.epoch, userId: claims.sub },
      maxRoomConnections,
      () => randomBytes(16).toString("base64url"),
    );
    if (!admission.ok) {
      room.checkIdle();
      return refuseSocket(ws, admission.code, admission.message);
    }
    const { connectionId: cid, epoch, peer, replaces } = admission;
    if (replaces) end(replaces, "replaced", "SESSION_REPLACED", "the same connectionId connected again");
    ghosts.cancel(room, cid);
    const conn = createConnection({
      ws,
      room,
      ip,
      connectionId: cid,
      userId: claims.sub,
      info: claims.info,
      plan: claims.plan,
      org: claims.org,
      tokenExp: claims.exp,
      epoch,
      state: peer?.state ?? {},
      now: monotonicNow(),
    });
    connectionCount++;
    joined.add(ws);
    liveness.assign(conn);
    armExpiry(conn);
    writeFrame(
      ws,
      encode({
        type: MessageType.WELCOME,
        connectionId: cid,
        userId: claims.sub,
        epoch,
        serverTime: now(),
        tokenExp: claims.exp,
        limits: {
          ratePerSecond: RATE_PER_SECOND,
          burst: RATE_BURST,
          maxStateBytes: MAX_STATE_BYTES,
          maxMetaBytes: MAX_META_BYTES,
          maxFrameBytes: MAX_INBOUND_FRAME_BYTES,
          heartbeatMs,
        },
        rttBuckets: RTT_BUCKETS_MS,
      }),
    );
    // A connection the room holds no state for is announced with its first patch.
    // A view declared in the URL shapes the join snapshot; a bad one is refused
    // (non-fatal INVALID_VIEW) and the connection joins with the room's default.
    let view: ViewSpec | undefined;
    if (parsed.view !== undefined) {
      try {
        view = decodeViewParam(parsed.view);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        writeFrame(ws, errorFrame(err.code, err.message));
      }
    }
    const deferred = peer === undefined;
    if (deferred) {
      conn.enterTimer = setTimeout(() => announce(conn), ENTER_DEFER_MS);
      conn.enterTimer.unref?.();
    }
    room.join(
      conn,
      {
        kind: "enter",
        connectionId: cid,
        userId: claims.sub,
        info: claims.info,
        epoch,
        clock: 0,
        state: conn.state,
      },
      deferred,
      view,
    );
    options.observer?.entered(conn);
    ws.removeAllListeners("message");
    ws.on("message", (data: Buffer, isBinary: boolean) => handleMessage(conn, hooks, data, isBinary));
    ws.on("pong", () => {
      conn.missedPongs = 0;
    });
    // Only a normal close (1000) or a page going away (1001) is the client leaving.
    // Anything else — 1006 (no close frame), or the SDK's 4000 when it abandons a
    // socket it believes dead and reconnects — is a drop: the entry stays for the
    // grace period so the reconnect takes it over without a leave/enter flicker.
    ws.on("close", (code: number) => end(conn, code === 1000 || code === 1001 ? "left" : "ghost"));
    for (const [data, isBinary] of early) handleMessage(conn, hooks, data, isBinary);
  };

  const onSocket = (ws: WebSocket, req: IncomingMessage, ip: string): void => {
    sockets.add(ws);
    ws.on("error", () => {}); // errors are followed by close; nothing else to do
    const acquired = ipFilter.acquire(ip);
    ws.once("close", () => {
      sockets.delete(ws);
      if (acquired) ipFilter.release(ip);
    });
    if (!acquired) {
      refuseSocket(ws, "TOO_MANY_CONNECTIONS", "too many connections from this address");
      return;
    }
    const early: [Buffer, boolean][] = [];
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      if (early.length < MAX_EARLY_MESSAGES) early.push([data, isBinary]);
    });
    // A join waits on the token check and the room's load; neither may hold the socket forever.
    const timeout = clock.setTimeout(() => {
      if (ws.readyState === ws.OPEN && !joined.has(ws)) refuseSocket(ws, "UNAVAILABLE", "join timed out");
    }, options.joinTimeoutMs ?? HANDSHAKE_TIMEOUT_MS);
    ws.once("close", () => clock.clearTimeout(timeout));
    join(ws, req, ip, early).then(
      () => clock.clearTimeout(timeout),
      (err: unknown) => {
        logger.error({ err }, "join failed");
        if (ws.readyState === ws.OPEN) refuseSocket(ws, "UNAVAILABLE", "internal error");
      },
    );
  };

  const liveness = createLiveness<Connection>({
    heartbeatMs,
    clock,
    members: function* () {
      for (const room of rooms.values()) yield* room.members.values();
    },
    expire(conn) {
      end(conn, "expired");
      conn.ws.terminate();
    },
    overflow(conn) {
      metrics.stats.slowConsumers++;
      end(conn, "ghost", "SLOW_CONSUMER", "the socket stopped reading");
      clock.setTimeout(() => conn.ws.terminate(), SLOW_CONSUMER_CLOSE_WAIT_MS);
    },
  });

  return {
    handleUpgrade(req, socket, head) {
      if (shuttingDown) return rejectHttp(socket, 503, "Service Unavailable");
      if (!isRoomsPath(req.url ?? "")) return rejectHttp(socket, 404, "Not Found");
      const origin = req.headers.origin;
      if (allowedOrigins && origin !== undefined && !allowedOrigins.has(origin)) {
        metrics.refusal("FORBIDDEN");
        return rejectHttp(socket, 403, "Forbidden");
      }
      const ip = clientAddress(
        req.socket.remoteAddress ?? "",
        req.headers["x-forwarded-for"],
        trustedProxies,
      );
      if (ipFilter.isDenied(ip)) {
        metrics.refusal("TOO_MANY_CONNECTIONS");
        return rejectHttp(socket, 403, "Forbidden");
      }
      wss.handleUpgrade(req, socket, head, (ws) => onSocket(ws, req, ip));
    },
    setDenyList: (cidrs) => ipFilter.setDenyList(cidrs),
    revoke(check) {
      let closed = 0;
      for (const room of [...rooms.values()]) {
        for (const conn of [...room.members.values()]) {
          const code = check(conn);
          if (code === undefined) continue;
          end(conn, "left", code, "no longer enabled for this plan or organisation");
          closed++;
        }
      }
      return closed;
    },
    get connections() {
      return connectionCount;
    },
    get rooms() {
      return rooms.size;
    },
    room: (roomId) => rooms.get(roomId),
    backlog() {
      let n = 0;
      for (const room of rooms.values()) n += room.backlog();
      return n;
    },
    async close() {
      shuttingDown = true;
      liveness.stop();
      stalls.stop();
      for (const room of [...rooms.values()]) {
        for (const member of [...room.members.values()]) {
          end(member, "shutdown", "SERVER_SHUTTING_DOWN", "server is shutting down");
        }
      }
      ghosts.clear();
      for (const ws of sockets) {
        if (ws.readyState === ws.OPEN) {
          sendError(ws, "SERVER_SHUTTING_DOWN", "server is shutting down");
          ws.close(1012, "SERVER_SHUTTING_DOWN");
        }
      }
      const deadline = Date.now() + SHUTDOWN_CLOSE_WAIT_MS;
      while (sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const ws of sockets) ws.terminate();
      for (const room of rooms.values()) room.close();
      rooms.clear();
      link.close();
    },
  };
}
