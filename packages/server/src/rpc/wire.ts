// Link frames (link/frames.ts) ⇄ the messages of proto/presence.proto. Pure
// functions, no gRPC: unit-tested alone. Presence payloads reuse the protocol's
// codec so that the wire form of an entry is the same everywhere (WebSocket,
// gRPC, Redis): a Write/Update payload is the entries array of a BATCH message,
// a SnapshotChunk payload the entries array of a SNAPSHOT_CHUNK message. The
// codec encodes a message as the MsgPack array [type, …fields]; we encode the
// message and cut off its constant header, and decode by putting the header back
// (one copy), so every decoded payload gets the codec's untrusted-input checks.
// Rejected alternative: protobuf fields per entry, which would duplicate the
// protocol's compact encodings and its validation in a second schema.
import {
  type BatchEntry,
  decodeServerMessage,
  encode,
  MessageType,
  type PeerState,
  ProtocolError,
} from "@collabblocks/protocol";
import type { EdgeFrame, PodFrame } from "../link/frames.js";
import type { EdgeFrameMessage, PodFrameMessage } from "./proto.js";

/** Largest payload decoded from a peer, bytes (a 64 KB chunk or a write of ~100 entries fit easily). */
export const MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

/** The bytes of `encode(msg)` before its last field, which must be an empty array here (one byte, 0x90). */
function headerOf(msg: Parameters<typeof encode>[0]): Uint8Array {
  const bytes = encode(msg);
  if (bytes[bytes.length - 1] !== 0x90) throw new Error("codec header assumption broken");
  return bytes.slice(0, bytes.length - 1);
}

/** `[BATCH, <entries>]` up to the entries array. */
const BATCH_HEADER = headerOf({ type: MessageType.BATCH, entries: [] });
/** `[SNAPSHOT_CHUNK, 0, <entries>]` up to the entries array (syncId travels in its own proto field). */
const CHUNK_HEADER = headerOf({ type: MessageType.SNAPSHOT_CHUNK, syncId: 0, entries: [] });

function strip(bytes: Uint8Array, header: Uint8Array): Uint8Array {
  for (let i = 0; i < header.length; i++) {
    if (bytes[i] !== header[i]) throw new Error("codec header assumption broken");
  }
  return bytes.subarray(header.length);
}

function withHeader(header: Uint8Array, payload: Uint8Array): Uint8Array {
  if (!(payload instanceof Uint8Array) || payload.length === 0) {
    throw new ProtocolError("MALFORMED_MESSAGE", "empty entries payload");
  }
  if (payload.length > MAX_PAYLOAD_BYTES) {
    throw new ProtocolError("MALFORMED_MESSAGE", `entries payload of ${payload.length} bytes`);
  }
  const out = new Uint8Array(header.length + payload.length);
  out.set(header, 0);
  out.set(payload, header.length);
  return out;
}

/** MsgPack array of batch entries (the protocol's BATCH entry forms). */
export function encodeEntries(entries: readonly BatchEntry[]): Uint8Array {
  return strip(encode({ type: MessageType.BATCH, entries }), BATCH_HEADER);
}

/** Throws ProtocolError("MALFORMED_MESSAGE") on anything but an array of valid batch entries. */
export function decodeEntries(payload: Uint8Array): BatchEntry[] {
  const msg = decodeServerMessage(withHeader(BATCH_HEADER, payload), MAX_PAYLOAD_BYTES + 16);
  if (msg.type !== MessageType.BATCH) throw new ProtocolError("MALFORMED_MESSAGE", "not batch entries");
  return msg.entries as BatchEntry[];
}

/** MsgPack array of versioned entries [connectionId, userId, info, epoch, clock, state]. */
export function encodePeers(peers: readonly PeerState[]): Uint8Array {
  return strip(encode({ type: MessageType.SNAPSHOT_CHUNK, syncId: 0, entries: peers }), CHUNK_HEADER);
}

export function decodePeers(payload: Uint8Array): PeerState[] {
  const msg = decodeServerMessage(withHeader(CHUNK_HEADER, payload), MAX_PAYLOAD_BYTES + 16);
  if (msg.type !== MessageType.SNAPSHOT_CHUNK) throw new ProtocolError("MALFORMED_MESSAGE", "not peers");
  return msg.entries as PeerState[];
}

function malformed(what: string): never {
  throw new ProtocolError("MALFORMED_MESSAGE", what);
}

function room(part: { readonly room?: string } | null | undefined): string {
  const id = part?.room;
  if (typeof id !== "string" || id.length === 0 || id.length > 128) malformed("bad room");
  return id;
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
    default:
      return malformed("empty pod frame");
  }
}
