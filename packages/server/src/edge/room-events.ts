// Broadcast events on the edge (PROTOCOL.md §9): relayed at once to the room's
// local connections that read revision 2, never stored, never queued. An event is
// encoded once per room and written as a reply: a socket that is behind (more than
// 32 KB unsent, socket-writes.ts) loses it rather than queue it — a late reaction
// is worth less than a live cursor.
import { encode, type RelayedMessage } from "@collabblocks/protocol";
import type { ServerStats } from "../ops/metrics.js";
import type { Connection } from "./connection.js";
import type { EdgeRoom } from "./edge-room.js";
import { writeReply } from "./socket-writes.js";

/**
 * Writes an EVENT or PEER_LOST to every local member of revision ≥ 2 but the connection it
 * is about; counts the sockets that were behind.
 */
export function relayEvent(room: EdgeRoom<Connection>, event: RelayedMessage, stats: ServerStats): void {
  let frame: Uint8Array | undefined;
  for (const member of room.members.values()) {
    if (member.rev < 2 || member.connectionId === event.connectionId) continue;
    frame ??= encode(event);
    if (!writeReply(member.ws, frame)) stats.repliesDropped++;
  }
}
