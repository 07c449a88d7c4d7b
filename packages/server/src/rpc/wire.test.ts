import {
  type BatchEntry,
  encode,
  MessageType,
  type PeerState,
  ProtocolError,
  stateToWire,
} from "@collabblocks/protocol";
import { Packr, Unpackr } from "msgpackr";
import { describe, expect, it } from "vitest";
import type { EdgeFrame, PodFrame } from "../link/frames.js";
import {
  decodeEntries,
  decodePeers,
  edgeFrameFromMessage,
  edgeFrameToMessage,
  encodeEntries,
  encodePeers,
  podFrameFromMessage,
  podFrameToMessage,
} from "./wire.js";

const entries: BatchEntry[] = [
  {
    kind: "enter",
    connectionId: "c1",
    userId: "alice",
    info: { name: "Alice" },
    epoch: 2,
    clock: 0,
    state: { cursor: { x: 0.25, y: 0.5 }, status: "idle" },
  },
  {
    kind: "update",
    connectionId: "c1",
    epoch: 2,
    base: 0,
    clock: 3,
    set: { status: "editing" },
    del: ["cursor"],
  },
  { kind: "leave", connectionId: "c2", epoch: 1, clock: 7, reason: "expired" },
];
const peers: PeerState[] = [
  {
    connectionId: "c1",
    userId: "alice",
    info: undefined,
    epoch: 1,
    clock: 4,
    state: { meta: { a: [1, null] } },
  },
  { connectionId: "c2", userId: "bob", info: "b", epoch: 3, clock: 0, state: {} },
];

/** Proto-loader hands bytes over as Buffers: simulate the trip. */
function viaBuffers<T>(msg: T): T {
  // Payloads are Buffers (msgpackr) or plain Uint8Arrays (the compact MsgPack): gRPC carries both as bytes.
  const replacer = (_k: string, v: unknown) =>
    v instanceof Uint8Array ? { type: "Buffer", data: [...v] } : v;
  return JSON.parse(JSON.stringify(msg, replacer), (_k, v) =>
    v && typeof v === "object" && v.type === "Buffer" ? Buffer.from(v.data) : v,
  ) as T;
}

/** What proto-loader's `oneofs: true` adds: the name of the set member. */
function withFrame<T extends object>(msg: T): T & { frame: string } {
  return { ...msg, frame: Object.keys(msg)[0]! } as T & { frame: string };
}

const broadcastEvent = {
  type: MessageType.EVENT,
  connectionId: "c1",
  userId: "alice",
  event: { emoji: "🎉", at: [1, 2.5] },
} as const;

describe("rpc wire", () => {
  it("round-trips every edge frame", () => {
    const frames: EdgeFrame[] = [
      { type: "attach", roomId: "room-1" },
      { type: "write", roomId: "room-1", entries },
      { type: "sync-request", roomId: "room-1", syncId: 42 },
      { type: "detach", roomId: "room-1" },
      { type: "event", roomId: "room-1", event: broadcastEvent },
      {
        type: "event",
        roomId: "room-1",
        event: { type: MessageType.PEER_LOST, connectionId: "c1", epoch: 3 },
      },
    ];
    for (const f of frames) {
      expect(edgeFrameFromMessage(viaBuffers(withFrame(edgeFrameToMessage(f))))).toEqual(f);
    }
  });

  it("round-trips every pod frame", () => {
    const frames: PodFrame[] = [
      { type: "update", roomId: "r", entries },
      { type: "snapshot-chunk", roomId: "r", syncId: 7, entries: peers },
      { type: "snapshot-done", roomId: "r", syncId: 7, total: 2 },
      { type: "event", roomId: "r", event: broadcastEvent },
    ];
    for (const f of frames) {
      expect(podFrameFromMessage(viaBuffers(withFrame(podFrameToMessage(f))))).toEqual(f);
    }
  });

  it("carries snapshot entries as a plain MsgPack array of [connectionId, userId, info, epoch, clock, state]", () => {
    const raw = new Unpackr({ mapsAsObjects: true }).unpack(encodePeers(peers));
    // state in the protocol's wire form (known keys such as `meta` get compact codes)
    const wire = (p: PeerState) =>
      new Unpackr({ mapsAsObjects: true }).unpack(new Packr().pack(stateToWire(p.state)));
    expect(raw).toEqual([
      ["c1", "alice", null, 1, 4, wire(peers[0]!)],
      ["c2", "bob", "b", 3, 0, wire(peers[1]!)],
    ]);
    expect(decodePeers(encodePeers(peers))).toEqual(peers);
  });

  it("carries batch entries in the protocol's BATCH entry form", () => {
    const raw = new Unpackr({ mapsAsObjects: true }).unpack(encodeEntries(entries)) as unknown[][];
    expect(raw.map((e) => e[0])).toEqual([0, 1, 2]);
    expect(decodeEntries(encodeEntries([]))).toEqual([]);
  });

  it("rejects malformed payloads and frames with a ProtocolError", () => {
    expect(() => decodeEntries(new Uint8Array([0xc1]))).toThrow(ProtocolError);
    expect(() => decodeEntries(new Uint8Array([]))).toThrow(ProtocolError);
    expect(() => decodeEntries(new Uint8Array([0x91, 0x91, 0x09]))).toThrow(ProtocolError);
    expect(() => decodePeers(new Uint8Array([0x91, 0x93, 1, 2, 3]))).toThrow(ProtocolError);
    expect(() => edgeFrameFromMessage({})).toThrow(ProtocolError);
    expect(() => edgeFrameFromMessage({ frame: "attach", attach: { room: "" } })).toThrow(ProtocolError);
    expect(() =>
      edgeFrameFromMessage({ frame: "syncRequest", syncRequest: { room: "r", syncId: -1 } }),
    ).toThrow(ProtocolError);
    expect(() =>
      podFrameFromMessage({ frame: "update", update: { room: "r", entries: Buffer.from([0x90, 0x90]) } }),
    ).toThrow(ProtocolError);
    // An event frame must hold an EVENT: another message, or garbage, is refused.
    const pong = encode({ type: MessageType.PONG, t: 1, serverTime: 2 });
    expect(() => podFrameFromMessage({ frame: "event", event: { room: "r", frame: pong } })).toThrow(
      ProtocolError,
    );
    expect(() =>
      edgeFrameFromMessage({ frame: "event", event: { room: "r", frame: new Uint8Array([0x94, 0xcc]) } }),
    ).toThrow(ProtocolError);
  });
});
