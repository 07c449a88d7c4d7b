// Drain (docs/OPERATIONS.md#running-modes): refuse new sockets, end every
// connection with SERVER_SHUTTING_DOWN + 1012 (the SDK reconnects elsewhere at
// once), wait for clients to acknowledge the close, terminate the rest, then
// close the rooms and the link.
import { endConnection } from "./connection-end.js";
import type { EdgeContext } from "./edge-context.js";
import { closeWithError } from "./socket-refusal.js";

/** How long shutdown waits for clients to acknowledge the 1012 close before terminating, ms. */
export const SHUTDOWN_CLOSE_WAIT_MS = 2000;
/** How often shutdown checks whether every socket has closed, ms. */
const SHUTDOWN_POLL_MS = 20;

export async function drainEdge(ctx: EdgeContext): Promise<void> {
  ctx.shuttingDown = true;
  for (const room of [...ctx.rooms.values()]) {
    for (const member of [...room.members.values()]) {
      endConnection(ctx, member, "shutdown", "SERVER_SHUTTING_DOWN", "server is shutting down");
    }
  }
  ctx.ghosts.clear();
  for (const ws of ctx.sockets) {
    if (ws.readyState === ws.OPEN)
      closeWithError(ctx.options.metrics, ws, "SERVER_SHUTTING_DOWN", "server is shutting down");
  }
  const deadline = ctx.clock.now() + SHUTDOWN_CLOSE_WAIT_MS;
  while (ctx.sockets.size > 0 && ctx.clock.now() < deadline) {
    await new Promise<void>((resolve) => ctx.clock.setTimeout(resolve, SHUTDOWN_POLL_MS));
  }
  for (const ws of ctx.sockets) ws.terminate();
  ctx.rooms.closeAll();
  ctx.options.link.close();
}
