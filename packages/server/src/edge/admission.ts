// Admission of a verified socket into a room (docs/ARCHITECTURE.md#the-edge,
// PROTOCOL.md §1, §5): which connection id it gets, under which epoch, and whether
// it may enter at all. Pure: the room's memory and limits in, a decision out, so
// every rule is unit-tested without sockets.
//   - no `cid`: a fresh random id;
//   - a `cid` the room (or the edge's memory of it) binds to another user: CONNECTION_ID_TAKEN
//     (the SDK takes a fresh identity); derived ids (identity.ts) make this rare;
//   - a live socket with that `cid`: the new one replaces it (SESSION_REPLACED);
//   - a full room refuses newcomers (ROOM_FULL), never a replacement;
//   - the epoch only grows: above the client's, the room's and the remembered one.
import type { PeerState } from "@collabblocks/protocol";
import type { KnownConnection } from "./known-connections.js";

export interface AdmissionRoom<M> {
  readonly replica: { get(connectionId: string): PeerState | undefined };
  known(connectionId: string): KnownConnection | undefined;
  readonly members: ReadonlyMap<string, M>;
}

export interface AdmissionRequest {
  /** The `cid` of the connect URL, if any. */
  readonly connectionId: string | undefined;
  /** The `epoch` of the connect URL (0 when absent). */
  readonly epoch: number;
  /** The verified token's `sub`. */
  readonly userId: string;
}

export type Admission<M> =
  | {
      readonly ok: true;
      readonly connectionId: string;
      readonly epoch: number;
      /** What the room holds for this id (a reconnect), if anything. */
      readonly peer: PeerState | undefined;
      /** A live local socket with the same id, to be replaced. */
      readonly replaces: M | undefined;
    }
  | { readonly ok: false; readonly code: "CONNECTION_ID_TAKEN" | "ROOM_FULL"; readonly message: string };

export function admit<M>(
  room: AdmissionRoom<M>,
  request: AdmissionRequest,
  maxRoomConnections: number,
  newId: () => string,
): Admission<M> {
  const connectionId = request.connectionId ?? newId();
  const peer = room.replica.get(connectionId);
  const known = room.known(connectionId);
  const owner = peer?.userId ?? known?.userId;
  if (owner !== undefined && owner !== request.userId) {
    return { ok: false, code: "CONNECTION_ID_TAKEN", message: "connectionId belongs to another user" };
  }
  const replaces = room.members.get(connectionId);
  if (replaces === undefined && room.members.size >= maxRoomConnections) {
    return { ok: false, code: "ROOM_FULL", message: `room has ${maxRoomConnections} connections` };
  }
  const epoch = Math.max(request.epoch + 1, (peer?.epoch ?? 0) + 1, (known?.epoch ?? 0) + 1, 1);
  return { ok: true, connectionId, epoch, peer, replaces };
}
