// How a connection ends (docs/ARCHITECTURE.md#the-edge, connection.ts EndMode):
// once, with a fatal ERROR and close when a code is given, and with what peers
// see decided by the mode — a leave now, nothing, or a ghost that expires after
// the grace period unless a reconnect takes it over. Token expiry ends it too.
import { assertNever, type ErrorCode } from "@collabblocks/protocol";
import { type Connection, type EndMode, leaveEntry, peerLostOf } from "./connection.js";
import type { EdgeContext } from "./edge-context.js";
import { relayEvent } from "./room-events.js";
import { closeWithError } from "./socket-refusal.js";

/** Ends a connection once; sends a fatal error and closes first when a code is given. */
export function endConnection(
  ctx: EdgeContext,
  conn: Connection,
  mode: EndMode,
  code?: ErrorCode,
  message?: string,
): void {
  if (conn.ended !== undefined) return;
  conn.ended = mode;
  ctx.connectionCount--;
  ctx.options.observer?.ended(conn, mode);
  if (conn.expiryTimer !== undefined) ctx.clock.clearTimeout(conn.expiryTimer);
  // Peers never saw a connection whose enter was still deferred: no leave for it.
  const announced = conn.enterTimer === undefined;
  if (conn.enterTimer !== undefined) ctx.clock.clearTimeout(conn.enterTimer);
  conn.enterTimer = undefined;
  if (code !== undefined) closeWithError(ctx.options.metrics, conn.ws, code, message ?? code);
  const { room } = conn;
  const leaveOf = (reason: "left" | "expired") => leaveEntry(conn, reason);
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
      // Peers of revision 2 are told it is reconnecting (PEER_LOST, PROTOCOL.md §9).
      if (announced) {
        const lost = peerLostOf(conn);
        relayEvent(room, lost, ctx.options.metrics.stats);
        ctx.options.link.event(room.roomId, lost);
      }
      ctx.ghosts.hold(room, conn.connectionId, () => {
        const peer = room.replica.get(conn.connectionId);
        if (peer && peer.epoch === conn.epoch) room.publish(leaveOf("expired"));
      });
      room.remove(conn, undefined);
      return;
    default:
      assertNever(mode);
  }
}

/** (Re)arms the close at the token's `exp` (PROTOCOL.md §1: renew in-band before it). */
export function armExpiry(ctx: EdgeContext, conn: Connection): void {
  if (conn.expiryTimer !== undefined) ctx.clock.clearTimeout(conn.expiryTimer);
  const delay = Math.max(0, conn.tokenExp * 1000 - ctx.clock.now());
  conn.expiryTimer = ctx.clock.setTimeout(
    () => endConnection(ctx, conn, "ghost", "TOKEN_EXPIRED", "token expired; renew it in-band"),
    delay,
  );
}
