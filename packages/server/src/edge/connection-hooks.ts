// What a joined connection's message handling (connection.ts) may do to the edge:
// reply, refuse, end, renew its token, feed the RTT histogram, count. One object
// per edge, built from its context.
import { createStallMonitor } from "../limits/stall-monitor.js";
import type { ConnectionHooks } from "./connection.js";
import { errorFrame, eventOf } from "./connection.js";
import { armExpiry, endConnection } from "./connection-end.js";
import type { EdgeContext } from "./edge-context.js";
import { relayEvent } from "./room-events.js";
import { writeReply } from "./socket-writes.js";

export interface EdgeHooks {
  readonly hooks: ConnectionHooks;
  /** Stops the event-loop stall monitor (shutdown). */
  stop(): void;
}

export function createConnectionHooks(ctx: EdgeContext): EdgeHooks {
  const { metrics, logger, verifier } = ctx.options;
  const stalls = createStallMonitor();
  const reply: ConnectionHooks["reply"] = (conn, frame) => {
    if (!writeReply(conn.ws, frame)) metrics.stats.repliesDropped++;
  };
  const hooks: ConnectionHooks = {
    now: ctx.monotonicNow,
    clock: ctx.clock,
    stallMs: () => stalls.recentStallMs(),
    reply,
    sendError: (conn, code, message) => {
      metrics.refusal(code);
      reply(conn, errorFrame(code, message));
    },
    fail: (conn, code, message, mode) => endConnection(ctx, conn, mode, code, message),
    renew(conn, token) {
      verifier.verify(token, conn.room.roomId).then(
        (result) => {
          if (conn.ended !== undefined) return;
          if (!result.ok)
            endConnection(ctx, conn, "ghost", result.code, `renewal refused: ${result.message}`);
          else if (result.claims.sub !== conn.userId)
            endConnection(ctx, conn, "ghost", "FORBIDDEN", "renewal is for another user");
          else {
            conn.tokenExp = result.claims.exp;
            conn.plan = result.claims.plan;
            conn.org = result.claims.org;
            armExpiry(ctx, conn);
          }
        },
        (err: unknown) => logger.error({ err }, "token renewal failed"),
      );
    },
    observeRtt: (counts) => metrics.observeRtt(counts),
    onAccepted: (conn, patch) => {
      metrics.stats.updatesIn++;
      ctx.options.observer?.updated(conn, patch);
    },
    onRateLimited: () => {
      metrics.stats.rateLimited++;
    },
    broadcast(conn, event) {
      const message = eventOf(conn, event);
      relayEvent(conn.room, message, metrics.stats);
      ctx.options.link.event(conn.room.roomId, message);
    },
  };
  return { hooks, stop: () => stalls.stop() };
}
