// The upgrade (docs/SECURITY.md#connection-caps): refusals that cost no WebSocket
// (shutting down, not a rooms path, a foreign Origin, a denied address), then
// the per-address cap, early messages and the join timeout around the join.
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { WebSocket, WebSocketServer } from "ws";
import { clientAddress, DEFAULT_TRUSTED_PROXIES, parseTrustedProxies } from "../limits/client-address.js";
import { isRoomsPath } from "./connect-url.js";
import { errorFrame } from "./connection.js";
import { HANDSHAKE_TIMEOUT_MS } from "./edge-defaults.js";
import { type JoinParts, joinSocket } from "./join.js";
import { refuseSocket } from "./socket-refusal.js";
import { writeReply } from "./socket-writes.js";

/** Messages a client may send before its join completes (it should wait for the welcome). */
export const MAX_EARLY_MESSAGES = 8;
/** The answer to each message past MAX_EARLY_MESSAGES, which is dropped. */
const EARLY_OVERFLOW = errorFrame(
  "RATE_LIMITED",
  `at most ${MAX_EARLY_MESSAGES} messages before the WELCOME; this one was dropped`,
);

function rejectHttp(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export function createUpgradeHandler(parts: JoinParts, wss: WebSocketServer): UpgradeHandler {
  const { ctx } = parts;
  const { options } = ctx;
  const trustedProxies = parseTrustedProxies(options.trustedProxies ?? DEFAULT_TRUSTED_PROXIES);
  const allowedOrigins = options.allowedOrigins && new Set(options.allowedOrigins);
  return (req, socket, head) => {
    if (ctx.shuttingDown) return rejectHttp(socket, 503, "Service Unavailable");
    if (!isRoomsPath(req.url ?? "")) return rejectHttp(socket, 404, "Not Found");
    const origin = req.headers.origin;
    if (allowedOrigins && origin !== undefined && !allowedOrigins.has(origin)) {
      options.metrics.refusal("FORBIDDEN");
      return rejectHttp(socket, 403, "Forbidden");
    }
    const ip = clientAddress(req.socket.remoteAddress ?? "", req.headers["x-forwarded-for"], trustedProxies);
    if (ctx.ipFilter.isDenied(ip)) {
      options.metrics.refusal("TOO_MANY_CONNECTIONS");
      return rejectHttp(socket, 403, "Forbidden");
    }
    // The 101 answer, the WELCOME and the join snapshot leave in one write when the
    // join completes within this turn's microtasks (a cached key, a loaded room): a
    // write syscall less per join, 1 of about 15 per join in L1's storm. A join that
    // waits on more (a JWKS fetch, a room load) gets its 101 at the next turn, as before.
    socket.cork();
    setImmediate(() => socket.uncork());
    wss.handleUpgrade(req, socket, head, (ws) => onSocket(parts, ws, req, ip));
  };
}

function onSocket(parts: JoinParts, ws: WebSocket, req: IncomingMessage, ip: string): void {
  const { ctx } = parts;
  ctx.sockets.add(ws);
  ws.on("error", () => {}); // errors are followed by close; nothing else to do
  const acquired = ctx.ipFilter.acquire(ip);
  ws.once("close", () => {
    ctx.sockets.delete(ws);
    if (acquired) ctx.ipFilter.release(ip);
  });
  if (!acquired) {
    refuseSocket(ctx.options, ws, "TOO_MANY_CONNECTIONS", "too many connections from this address");
    return;
  }
  const early: [Buffer, boolean][] = [];
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    if (early.length < MAX_EARLY_MESSAGES) early.push([data, isBinary]);
    // Past the buffer a message is dropped, but never silently (PROTOCOL.md §1).
    else if (writeReply(ws, EARLY_OVERFLOW)) ctx.options.metrics.refusal("RATE_LIMITED");
  });
  // A join waits on the token check and the room's load; neither may hold the socket forever.
  const timeout = ctx.clock.setTimeout(() => {
    if (ws.readyState === ws.OPEN && !ctx.joined.has(ws)) {
      refuseSocket(ctx.options, ws, "UNAVAILABLE", "join timed out");
    }
  }, ctx.options.joinTimeoutMs ?? HANDSHAKE_TIMEOUT_MS);
  ws.once("close", () => ctx.clock.clearTimeout(timeout));
  ctx.joining++;
  joinSocket(parts, ws, req, ip, early)
    .finally(() => ctx.joining--)
    .then(
      () => ctx.clock.clearTimeout(timeout),
      (err: unknown) => {
        ctx.options.logger.error({ err }, "join failed");
        if (ws.readyState === ws.OPEN) refuseSocket(ctx.options, ws, "UNAVAILABLE", "internal error");
      },
    );
}
