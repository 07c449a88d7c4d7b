// Link frames (link/frames.ts) ⇄ the messages of proto/presence.proto. Pure
// functions, no gRPC: unit-tested alone. Presence payloads are the protocol's own
// entry-list encodings (encodeBatchEntries / encodePeers), so the wire form of an
// entry is the same everywhere (WebSocket, gRPC, Redis) and every decoded payload
// gets the codec's untrusted-input checks.
// Rejected alternative: protobuf fields per entry, which would duplicate the
// protocol's compact encodings and its validation in a second schema.
import {
  assertNever,
  type BatchEntry,
  decodeBatchEntries,
  decodePeers as decodePeerList,
  decodeServerMessage,
  encode,
  encodeBatchEntries as encodeEntries,
  encodePeers,
  MessageType,
  type PeerState,
  ProtocolError,
  type RelayedMessage,
} from "@collabblocks/protocol";
import type { EdgeFrame, PodFrame } from "../link/frames.js";
import type { EdgeFrameMessage, PodFrameMessage } from "./proto.js";

export { encodeEntries, encodePeers };

/** Largest payload decoded from a peer, bytes (a 64 KB chunk or a write of ~100 entries fit easily). */
export const MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

/** Throws ProtocolError("MALFORMED_MESSAGE") on anything but an array of valid batch entries. */
export const decodeEntries = (payload: Uint8Array): BatchEntry[] =>
  decodeBatchEntries(payload, MAX_PAYLOAD_BYTES);

export const decodePeers = (payload: Uint8Array): PeerState[] => decodePeerList(payload, MAX_PAYLOAD_BYTES);

function malformed(what: string): never {
  throw new ProtocolError("MALFORMED_MESSAGE", what);
}

function room(part: { readonly room?: string } | null | undefined): string {
  const id = part?.room;
  if (typeof id !== "string" || id.length === 0 || id.length > 128) malformed("bad room");
  return id;
}

/** An EVENT or PEER_LOST frame (PROTOCOL.md §9) as the link carries it; anything else is MALFORMED_MESSAGE. */
function eventOf(frame: Uint8Array): RelayedMessage {
  const msg = decodeServerMessage(frame, MAX_PAYLOAD_BYTES);
  if (msg.type !== MessageType.EVENT && msg.type !== MessageType.PEER_LOST)
    malformed("event frame is neither EVENT nor PEER_LOST");
  return msg;
}

function syncId(part: { readonly syncId?: number } | null | undefined): number {
  const id = part?.syncId;
  if (typeof id !== "number" || !Number.isInteger(id) || id < 0) malformed("bad syncId");
  return id;
}

export function edgeFrameToMessage(frame: EdgeFrame): EdgeFrameMessage {
  switch (frame.type) {
    case "attach":
      return { attach: { room: frame.roomId } };
    case "write":
      return { write: { room: frame.roomId, entries: encodeEntries(frame.entries) } };
    case "sync-request":
      return { syncRequest: { room: frame.roomId, syncId: frame.syncId } };
    case "detach":
      return { detach: { room: frame.roomId } };
    case "event":
      return { event: { room: frame.roomId, frame: encode(frame.event) } };
    default:
      return assertNever(frame);
  }
}

/** Throws ProtocolError("MALFORMED_MESSAGE") for a message that is not a valid frame. */
export function edgeFrameFromMessage(msg: EdgeFrameMessage): EdgeFrame {
  switch (msg.frame) {
    case "attach":
      return { type: "attach", roomId: room(msg.attach) };
    case "write":
      return { type: "write", roomId: room(msg.write), entries: decodeEntries(msg.write!.entries) };
    case "syncRequest":
      return { type: "sync-request", roomId: room(msg.syncRequest), syncId: syncId(msg.syncRequest) };
    case "detach":
      return { type: "detach", roomId: room(msg.detach) };
    case "event":
      return { type: "event", roomId: room(msg.event), event: eventOf(msg.event!.frame) };
    default:
      return malformed("empty edge frame");
  }
}

export function podFrameToMessage(frame: PodFrame): PodFrameMessage {
  switch (frame.type) {
    case "update":
      return { update: { room: frame.roomId, entries: encodeEntries(frame.entries) } };
    case "snapshot-chunk":
      return {
        snapshotChunk: { room: frame.roomId, syncId: frame.syncId, entries: encodePeers(frame.entries) },
      };
    case "snapshot-done":
      return { snapshotDone: { room: frame.roomId, syncId: frame.syncId, total: frame.total } };
    case "event":
      return { event: { room: frame.roomId, frame: encode(frame.event) } };
    default:
      return assertNever(frame);
  }
}

export function podFrameFromMessage(msg: PodFrameMessage): PodFrame {
  switch (msg.frame) {
    case "update":
      return { type: "update", roomId: room(msg.update), entries: decodeEntries(msg.update!.entries) };
    case "snapshotChunk":
      return {
        type: "snapshot-chunk",
        roomId: room(msg.snapshotChunk),
        syncId: syncId(msg.snapshotChunk),
        entries: decodePeers(msg.snapshotChunk!.entries),
      };
    case "snapshotDone": {
      const total = msg.snapshotDone?.total;
      if (typeof total !== "number" || !Number.isInteger(total) || total < 0) malformed("bad total");
      return {
        type: "snapshot-done",
        roomId: room(msg.snapshotDone),
        syncId: syncId(msg.snapshotDone),
        total,
      };
    }
    case "event":
      return { type: "event", roomId: room(msg.event), event: eventOf(msg.event!.frame) };
    default:
      return malformed("empty pod frame");
  }
}
