// The WebSocket gateway (docs/ARCHITECTURE.md#the-edge): upgrades on the HTTP server's port, refuses
// early (path, origin, deny list, per-address cap), joins (token, per-user cap,
// room, admission: join.ts), runs liveness pings and token expiry, and drains on
// shutdown. This file wires the parts over one EdgeContext (edge-context.ts);
// rooms and fan-out live in edge-room.ts, message handling in connection.ts.
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type ErrorCode, MAX_INBOUND_FRAME_BYTES, WS_SUBPROTOCOL } from "@collabblocks/protocol";
import { WebSocketServer } from "ws";
import type { Connection } from "./connection.js";
import { endConnection } from "./connection-end.js";
import { createConnectionHooks } from "./connection-hooks.js";
import { createEdgeContext, type EdgeContext } from "./edge-context.js";
import type { EdgeOptions } from "./edge-options.js";
import type { EdgeRoom } from "./edge-room.js";
import { createLiveness } from "./liveness.js";
import { drainEdge } from "./shutdown.js";
import { writePing } from "./socket-writes.js";
import { createUpgradeHandler } from "./upgrade.js";

export type { EdgeOptions } from "./edge-options.js";

/** How long a SLOW_CONSUMER close may take before the socket is destroyed, ms (it is not reading). */
const SLOW_CONSUMER_CLOSE_WAIT_MS = 1000;

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

export function createEdge(options: EdgeOptions): Edge {
  const ctx: EdgeContext = createEdgeContext(options, (member) =>
    endConnection(ctx, member, "replaced", "SESSION_REPLACED", "connected again from elsewhere"),
  );
  const { hooks, stop: stopHooks } = createConnectionHooks(ctx);
  const liveness = createLiveness<Connection>({
    heartbeatMs: ctx.heartbeatMs,
    clock: ctx.clock,
    isLive: (conn) => conn.ended === undefined && conn.room.members.get(conn.connectionId) === conn,
    ping: (conn) => writePing(conn.ws),
    expire(conn) {
      endConnection(ctx, conn, "expired");
      conn.ws.terminate();
    },
    overflow(conn) {
      options.metrics.stats.slowConsumers++;
      endConnection(ctx, conn, "ghost", "SLOW_CONSUMER", "the socket stopped reading");
      ctx.clock.setTimeout(() => conn.ws.terminate(), SLOW_CONSUMER_CLOSE_WAIT_MS);
    },
  });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_INBOUND_FRAME_BYTES, // larger frames: ws closes with 1009
    perMessageDeflate: false, // frames are small MsgPack; compression costs CPU per socket
    clientTracking: false,
    skipUTF8Validation: true, // text frames are refused anyway
    // Select our subprotocol when offered (PROTOCOL.md §1); the token entry is never echoed.
    handleProtocols: (offered) => (offered.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
  });
  const handleUpgrade = createUpgradeHandler({ ctx, hooks, liveness }, wss);

  return {
    handleUpgrade,
    setDenyList: (cidrs) => ctx.ipFilter.setDenyList(cidrs),
    revoke(check) {
      let closed = 0;
      for (const room of [...ctx.rooms.values()]) {
        for (const conn of [...room.members.values()]) {
          const code = check(conn);
          if (code === undefined) continue;
          endConnection(ctx, conn, "left", code, "no longer enabled for this plan or organisation");
          closed++;
        }
      }
      return closed;
    },
    get connections() {
      return ctx.connectionCount;
    },
    get rooms() {
      return ctx.rooms.size;
    },
    room: (roomId) => ctx.rooms.find(roomId),
    backlog: () => ctx.rooms.backlog(),
    async close() {
      liveness.stop();
      stopHooks();
      await drainEdge(ctx);
    },
  };
}
