// What an edge room keeps per local member (docs/ARCHITECTURE.md#the-edge), and
// the one counted write of a room frame to it. Its own file so every part of the
// room (fan-out, slow members, owed snapshots) can name it without importing
// edge-room.ts, which composes them.
import type { WebSocket } from "ws";
import type { EntryQueue } from "../limits/coalesce.js";
import type { TokenBucket } from "../limits/token-bucket.js";
import type { ServerStats } from "../ops/metrics.js";
import { type Framed, type PingCarrier, writeFrame, writeFramed } from "./socket-writes.js";

/** What the room needs from a local connection. */
export interface RoomMember extends PingCarrier {
  readonly connectionId: string;
  readonly ws: WebSocket;
  /** Protocol revision the client reads (PROTOCOL.md §1 `rev`); absent: 1. Picks the frames' encoding. */
  readonly rev?: number;
  /** Private coalesced backlog while the socket is slow; undefined when in step with the room. */
  lag: EntryQueue | undefined;
  lagSince: number;
  /** The syncId of a snapshot owed to this member (written once it keeps up and its budget allows). */
  snapshotDue: number | undefined;
  /**
   * The room's shared-frame pass count when this member's last snapshot was written
   * (room-fanout.ts): a leave in the next pass may name a connection that snapshot no
   * longer held, whose alias the member was therefore never told.
   */
  snapshotPass?: number;
  /** Snapshot bytes this member may still be sent (SNAPSHOT_BYTES; joins count too). */
  readonly snapshotBytes: TokenBucket;
}

/**
 * Writes one room frame (batch or snapshot part) carrying `entries` updates to
 * the member, counted: a frame written once (a Uint8Array) through ws, a frame
 * shared by many sockets pre-framed, with the OCCUPANCY and the ping the member
 * is owed riding in the same write.
 */
export function sendToMember(
  stats: ServerStats,
  member: RoomMember,
  frame: Framed | Uint8Array,
  entries: number,
  rider?: Framed,
): void {
  if (frame instanceof Uint8Array) {
    writeFrame(member.ws, frame);
    stats.framesOut++;
    stats.bytesOut += frame.length;
  } else {
    writeFramed(member.ws, frame, rider, member);
    stats.framesOut += rider === undefined ? 1 : 2;
    stats.bytesOut += frame.payload.length + (rider?.payload.length ?? 0);
  }
  stats.updatesOut += entries;
}
