// A socket's join (docs/ARCHITECTURE.md#the-edge, PROTOCOL.md §1): the connect URL,
// the token and the per-user cap, the room's load, admission (which id, which
// epoch), then WELCOME, the join snapshot and the connection's handlers. Each step
// refuses with a typed error and leaves the room as it was.
import type { IncomingMessage } from "node:http";
import { decodeViewParam, ProtocolError, type ViewSpec } from "@collabblocks/protocol";
import type { WebSocket } from "ws";
import { type Admission, admit } from "./admission.js";
import type { TokenClaims } from "./auth.js";
import { type ConnectRequest, parseConnectUrl } from "./connect-url.js";
import {
  announce,
  type Connection,
  type ConnectionHooks,
  createConnection,
  ENTER_DEFER_MS,
  endModeOfClose,
  errorFrame,
  handleMessage,
} from "./connection.js";
import { armExpiry, endConnection } from "./connection-end.js";
import type { EdgeContext } from "./edge-context.js";
import { DEFAULT_MAX_ROOM_CONNECTIONS } from "./edge-defaults.js";
import type { EdgeRoom } from "./edge-room.js";
import { deriveConnectionId, isDerivedConnectionId } from "./identity.js";
import type { Liveness } from "./liveness.js";
import { refuseSocket } from "./socket-refusal.js";
import { corked, writeFrame } from "./socket-writes.js";
import { welcomeFrame } from "./welcome.js";

export interface JoinParts {
  readonly ctx: EdgeContext;
  readonly hooks: ConnectionHooks;
  readonly liveness: Liveness<Connection>;
}

type Request = ConnectRequest & { ok: true };
type Admitted = Admission<Connection> & { ok: true };

/** Joins an upgraded socket, replaying the messages it sent before the join completed. */
export async function joinSocket(
  parts: JoinParts,
  ws: WebSocket,
  req: IncomingMessage,
  ip: string,
  early: readonly [Buffer, boolean][],
): Promise<void> {
  const { ctx } = parts;
  const parsed = parseConnectUrl(req.url ?? "", req.headers["sec-websocket-protocol"]);
  if (!parsed.ok) return refuseSocket(ctx.options, ws, parsed.code, parsed.message);
  const claims = await verify(ctx, ws, parsed);
  if (claims === undefined) return;
  const room = await loadRoom(ctx, ws, parsed.roomId);
  if (room === undefined) return;
  const admission = admitSocket(ctx, ws, room, parsed, claims);
  if (admission === undefined) return;
  const conn = enter(parts, ws, room, ip, claims, admission, parsed.view, parsed.rev);
  ws.removeAllListeners("message");
  ws.on("message", (data: Buffer, isBinary: boolean) => handleMessage(conn, parts.hooks, data, isBinary));
  ws.on("pong", () => {
    conn.missedPongs = 0;
  });
  ws.on("close", (code: number) => endConnection(ctx, conn, endModeOfClose(code)));
  for (const [data, isBinary] of early) handleMessage(conn, parts.hooks, data, isBinary);
}

/** The token's claims, counted against the per-user cap; undefined when refused. */
async function verify(ctx: EdgeContext, ws: WebSocket, parsed: Request): Promise<TokenClaims | undefined> {
  const verified = await ctx.options.verifier.verify(parsed.token, parsed.roomId);
  if (ws.readyState !== ws.OPEN) return undefined;
  if (!verified.ok) return void refuseSocket(ctx.options, ws, verified.code, verified.message);
  if (ctx.shuttingDown)
    return void refuseSocket(ctx.options, ws, "SERVER_SHUTTING_DOWN", "server is shutting down");
  const { claims } = verified;
  if (!ctx.perUser.acquire(claims.sub)) {
    return void refuseSocket(ctx.options, ws, "TOO_MANY_CONNECTIONS", "too many connections for this user");
  }
  ws.once("close", () => ctx.perUser.release(claims.sub));
  return claims;
}

/** The room once its state is loaded from the pod; undefined when the socket or the edge went away meanwhile. */
async function loadRoom(
  ctx: EdgeContext,
  ws: WebSocket,
  roomId: string,
): Promise<EdgeRoom<Connection> | undefined> {
  const room = ctx.rooms.get(roomId);
  room.holds++;
  try {
    await room.ready;
  } catch (err) {
    room.holds--;
    room.checkIdle();
    throw err;
  }
  room.holds--;
  if (ws.readyState === ws.OPEN && !ctx.shuttingDown) return room;
  if (ws.readyState === ws.OPEN)
    refuseSocket(ctx.options, ws, "SERVER_SHUTTING_DOWN", "server is shutting down");
  room.checkIdle();
  return undefined;
}

/** Which id and epoch the socket gets (PROTOCOL.md §1); undefined when refused. */
function admitSocket(
  ctx: EdgeContext,
  ws: WebSocket,
  room: EdgeRoom<Connection>,
  parsed: Request,
  claims: TokenClaims,
): Admitted | undefined {
  const refuse = (code: Parameters<typeof refuseSocket>[2], message: string): undefined => {
    room.checkIdle();
    refuseSocket(ctx.options, ws, code, message);
    return undefined;
  };
  if (
    parsed.key === undefined &&
    parsed.connectionId !== undefined &&
    isDerivedConnectionId(parsed.connectionId)
  ) {
    return refuse("CONNECTION_ID_TAKEN", "a derived connectionId is resumed with its key, not as cid");
  }
  const requested =
    parsed.key === undefined ? parsed.connectionId : deriveConnectionId(claims.sub, parsed.key);
  const admission = admit(
    room,
    { connectionId: requested, epoch: parsed.epoch, userId: claims.sub },
    ctx.options.maxRoomConnections ?? DEFAULT_MAX_ROOM_CONNECTIONS,
    ctx.newConnectionId,
  );
  if (!admission.ok) return refuse(admission.code, admission.message);
  return admission;
}

/** Creates the connection, welcomes it and adds it to the room (which sends the join snapshot). */
function enter(
  parts: JoinParts,
  ws: WebSocket,
  room: EdgeRoom<Connection>,
  ip: string,
  claims: TokenClaims,
  admission: Admitted,
  viewParam: string | undefined,
  rev: number,
): Connection {
  const { ctx } = parts;
  const { connectionId, epoch, peer, replaces } = admission;
  if (replaces)
    endConnection(ctx, replaces, "replaced", "SESSION_REPLACED", "the same connectionId connected again");
  ctx.ghosts.cancel(room, connectionId);
  const conn = createConnection({
    ws,
    room,
    ip,
    connectionId,
    userId: claims.sub,
    info: claims.info,
    plan: claims.plan,
    org: claims.org,
    tokenExp: claims.exp,
    epoch,
    state: peer?.state ?? {},
    now: ctx.monotonicNow(),
    rev,
  });
  ctx.connectionCount++;
  ctx.joined.add(ws);
  parts.liveness.assign(conn);
  armExpiry(ctx, conn);
  // WELCOME, the join snapshot and its OCCUPANCY leave in one syscall.
  corked(ws, () => {
    writeFrame(ws, welcomeFrame(conn, claims.exp, ctx.heartbeatMs, ctx.clock.now()));
    const view = joinView(ws, viewParam);
    // A connection the room holds no state for is announced with its first patch.
    const deferred = peer === undefined;
    if (deferred) conn.enterTimer = ctx.clock.setTimeout(() => announce(conn, ctx.clock), ENTER_DEFER_MS);
    const { userId, info, state } = conn;
    room.join(conn, { kind: "enter", connectionId, userId, info, epoch, clock: 0, state }, deferred, view);
  });
  ctx.options.observer?.entered(conn);
  return conn;
}

/**
 * The view declared in the URL, which shapes the join snapshot (PROTOCOL.md §8);
 * a bad one is answered with a non-fatal INVALID_VIEW and the room's default applies.
 */
function joinView(ws: WebSocket, viewParam: string | undefined): ViewSpec | undefined {
  if (viewParam === undefined) return undefined;
  try {
    return decodeViewParam(viewParam);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    writeFrame(ws, errorFrame(err.code, err.message));
    return undefined;
  }
}
