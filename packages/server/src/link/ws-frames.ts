// Link frames (frames.ts) as WebSocket messages, for the Workers link
// (docs/EDGE-WORKERS.md#the-pod-link): a Durable Object edge and a pod exchange
// exactly the frames the gRPC link carries, one binary message each. Pure: bytes
// in, frames out, no socket (CONTRIBUTING.md habit 1), so the Worker bundles it.
//
//   message = type:u8  roomLength:u8  room:utf8  rest
//   attach 1, detach 4:            rest = (nothing)
//   write 2, update 11:            rest = entries  (encodeBatchEntries, PROTOCOL.md §4)
//   sync-request 3:                rest = syncId:u32
//   snapshot-chunk 12:             rest = syncId:u32  peers (encodePeers)
//   snapshot-done 13:              rest = syncId:u32  total:u32
//   event 5 (edge), 14 (pod):      rest = an EVENT or PEER_LOST message (PROTOCOL.md §9)
//
// Payloads are the protocol's own entry encodings, decoded with its untrusted-input
// checks, as on the gRPC link (rpc/wire.ts). Rejected alternative: a MsgPack
// envelope holding the payload as `bin`, which needs a second decoder configuration
// (the protocol's refuses `bin`) for a header of three fields.
import {
  assertNever,
  decodeBatchEntries,
  decodePeers,
  decodeServerMessage,
  encode,
  encodeBatchEntries,
  encodePeers,
  isValidRoomId,
  MessageType,
  ProtocolError,
  type RelayedMessage,
} from "@collabblocks/protocol";
import type { EdgeFrame, PodFrame } from "./frames.js";

/** Largest link message decoded, bytes: a 64 KB snapshot chunk or a write of many entries fit easily. */
export const MAX_LINK_MESSAGE_BYTES = 4 * 1024 * 1024;

/** Path of the pod's dial endpoint: POST {DIAL_PATH_PREFIX}{room}. */
export const DIAL_PATH_PREFIX = "/v1/worker-link/";
/** Path of the Worker's link endpoint the pod connects to: {workerUrl}{LINK_PATH_PREFIX}{room}. */
export const LINK_PATH_PREFIX = "/v1/link/";
/** Compares secrets in time independent of where they differ. */
export function sameSecret(given: string, expected: string): boolean {
  if (given.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < given.length; i++) diff |= given.charCodeAt(i) ^ expected.charCodeAt(i);
  return diff === 0;
}

const TYPE = {
  attach: 1,
  write: 2,
  "sync-request": 3,
  detach: 4,
  event: 5,
  update: 11,
  "snapshot-chunk": 12,
  "snapshot-done": 13,
  "pod-event": 14,
} as const;

/** An EVENT or PEER_LOST as the link carries it; anything else is MALFORMED_MESSAGE. */
function relayedOf(bytes: Uint8Array): RelayedMessage {
  const msg = decodeServerMessage(bytes, MAX_LINK_MESSAGE_BYTES);
  if (msg.type !== MessageType.EVENT && msg.type !== MessageType.PEER_LOST)
    malformed("event is neither EVENT nor PEER_LOST");
  return msg;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

function malformed(what: string): never {
  throw new ProtocolError("MALFORMED_MESSAGE", `link message: ${what}`);
}

function frameBytes(
  type: number,
  roomId: string,
  numbers: readonly number[],
  payload?: Uint8Array,
): Uint8Array {
  const room = utf8.encode(roomId);
  const head = 2 + room.length + numbers.length * 4;
  const out = new Uint8Array(head + (payload?.length ?? 0));
  out[0] = type;
  out[1] = room.length;
  out.set(room, 2);
  const view = new DataView(out.buffer);
  for (const [i, n] of numbers.entries()) view.setUint32(2 + room.length + i * 4, n);
  if (payload) out.set(payload, head);
  return out;
}

export function encodeEdgeFrame(frame: EdgeFrame): Uint8Array {
  switch (frame.type) {
    case "attach":
    case "detach":
      return frameBytes(TYPE[frame.type], frame.roomId, []);
    case "write":
      return frameBytes(TYPE.write, frame.roomId, [], encodeBatchEntries(frame.entries));
    case "sync-request":
      return frameBytes(TYPE["sync-request"], frame.roomId, [frame.syncId]);
    case "event":
      return frameBytes(TYPE.event, frame.roomId, [], encode(frame.event));
    default:
      return assertNever(frame);
  }
}

export function encodePodFrame(frame: PodFrame): Uint8Array {
  switch (frame.type) {
    case "update":
      return frameBytes(TYPE.update, frame.roomId, [], encodeBatchEntries(frame.entries));
    case "snapshot-chunk":
      return frameBytes(TYPE["snapshot-chunk"], frame.roomId, [frame.syncId], encodePeers(frame.entries));
    case "snapshot-done":
      return frameBytes(TYPE["snapshot-done"], frame.roomId, [frame.syncId, frame.total]);
    case "event":
      return frameBytes(TYPE["pod-event"], frame.roomId, [], encode(frame.event));
    default:
      return assertNever(frame);
  }
}

interface Parsed {
  readonly type: number;
  readonly roomId: string;
  readonly view: DataView;
  readonly bytes: Uint8Array;
  /** Offset of what follows the room. */
  readonly at: number;
}

function parse(bytes: Uint8Array): Parsed {
  if (bytes.length > MAX_LINK_MESSAGE_BYTES) malformed("too large");
  if (bytes.length < 2) malformed("truncated header");
  const end = 2 + bytes[1]!;
  if (bytes.length < end) malformed("truncated room");
  let roomId: string;
  try {
    roomId = fromUtf8.decode(bytes.subarray(2, end));
  } catch {
    return malformed("room is not UTF-8");
  }
  if (!isValidRoomId(roomId)) malformed("bad room");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { type: bytes[0]!, roomId, view, bytes, at: end };
}

/** The u32 at `index` after the room; the message must hold it (and, with `exact`, nothing after). */
function u32(p: Parsed, index: number, exact = false): number {
  const at = p.at + index * 4;
  if (p.bytes.length < at + 4 || (exact && p.bytes.length !== at + 4)) malformed("bad length");
  return p.view.getUint32(at);
}

function nothingAfter(p: Parsed): void {
  if (p.bytes.length !== p.at) malformed("trailing bytes");
}

/** Throws ProtocolError("MALFORMED_MESSAGE") for anything but a valid edge frame. */
export function decodeEdgeFrame(bytes: Uint8Array): EdgeFrame {
  const p = parse(bytes);
  switch (p.type) {
    case TYPE.attach:
      nothingAfter(p);
      return { type: "attach", roomId: p.roomId };
    case TYPE.detach:
      nothingAfter(p);
      return { type: "detach", roomId: p.roomId };
    case TYPE.write:
      return { type: "write", roomId: p.roomId, entries: decodeBatchEntries(bytes.subarray(p.at)) };
    case TYPE["sync-request"]:
      return { type: "sync-request", roomId: p.roomId, syncId: u32(p, 0, true) };
    case TYPE.event:
      return { type: "event", roomId: p.roomId, event: relayedOf(bytes.subarray(p.at)) };
    default:
      return malformed(`unknown edge frame type ${p.type}`);
  }
}

/** Throws ProtocolError("MALFORMED_MESSAGE") for anything but a valid pod frame. */
export function decodePodFrame(bytes: Uint8Array): PodFrame {
  const p = parse(bytes);
  switch (p.type) {
    case TYPE.update:
      return { type: "update", roomId: p.roomId, entries: decodeBatchEntries(bytes.subarray(p.at)) };
    case TYPE["snapshot-chunk"]: {
      const syncId = u32(p, 0);
      return {
        type: "snapshot-chunk",
        roomId: p.roomId,
        syncId,
        entries: decodePeers(bytes.subarray(p.at + 4)),
      };
    }
    case TYPE["snapshot-done"]: {
      const syncId = u32(p, 0);
      return { type: "snapshot-done", roomId: p.roomId, syncId, total: u32(p, 1, true) };
    }
    case TYPE["pod-event"]:
      return { type: "event", roomId: p.roomId, event: relayedOf(bytes.subarray(p.at)) };
    default:
      return malformed(`unknown pod frame type ${p.type}`);
  }
}
