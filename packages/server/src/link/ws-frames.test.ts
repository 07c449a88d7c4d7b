import { type BatchEntry, type PeerState, ProtocolError } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import type { EdgeFrame, PodFrame } from "./frames.js";
import { decodeEdgeFrame, decodePodFrame, encodeEdgeFrame, encodePodFrame, sameSecret } from "./ws-frames.js";

const entries: BatchEntry[] = [
  {
    kind: "enter",
    connectionId: "c1",
    userId: "alice",
    info: { name: "A" },
    epoch: 2,
    clock: 0,
    state: { status: "idle" },
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
    epoch: 2,
    clock: 3,
    state: { cursor: { x: 0.5, y: 0.25 } },
  },
];

const malformed = (fn: () => unknown): void => {
  expect(fn).toThrow(ProtocolError);
  try {
    fn();
  } catch (err) {
    expect((err as ProtocolError).code).toBe("MALFORMED_MESSAGE");
  }
};

describe("link frames over a WebSocket", () => {
  const edgeFrames: EdgeFrame[] = [
    { type: "attach", roomId: "room:1" },
    { type: "write", roomId: "room:1", entries },
    { type: "sync-request", roomId: "room:1", syncId: 4_000_000_000 },
    { type: "detach", roomId: "room:1" },
  ];
  const podFrames: PodFrame[] = [
    { type: "update", roomId: "r", entries },
    { type: "snapshot-chunk", roomId: "r", syncId: 7, entries: peers },
    { type: "snapshot-done", roomId: "r", syncId: 7, total: 1 },
  ];

  it.each(edgeFrames)("round-trips the edge frame $type", (frame) => {
    expect(decodeEdgeFrame(encodeEdgeFrame(frame))).toEqual(frame);
  });

  it.each(podFrames)("round-trips the pod frame $type", (frame) => {
    expect(decodePodFrame(encodePodFrame(frame))).toEqual(frame);
  });

  it("refuses truncated, unknown, trailing and bad-room messages", () => {
    const attach = encodeEdgeFrame({ type: "attach", roomId: "r" });
    malformed(() => decodeEdgeFrame(new Uint8Array(0)));
    malformed(() => decodeEdgeFrame(attach.subarray(0, 2)));
    malformed(() => decodeEdgeFrame(Uint8Array.of(...attach, 0)));
    malformed(() => decodeEdgeFrame(Uint8Array.of(99, 1, 0x72)));
    malformed(() => decodeEdgeFrame(Uint8Array.of(1, 2, 0x20, 0x21)));
    malformed(() => decodeEdgeFrame(Uint8Array.of(1, 1, 0xff)));
    const sync = encodeEdgeFrame({ type: "sync-request", roomId: "r", syncId: 1 });
    malformed(() => decodeEdgeFrame(sync.subarray(0, sync.length - 1)));
    // A pod frame is not an edge frame, and payloads get the protocol's checks.
    malformed(() => decodeEdgeFrame(encodePodFrame({ type: "update", roomId: "r", entries })));
    malformed(() => decodePodFrame(Uint8Array.of(11, 1, 0x72, 0xc1)));
  });

  it("compares secrets exactly", () => {
    expect(sameSecret("Bearer abc", "Bearer abc")).toBe(true);
    expect(sameSecret("Bearer abd", "Bearer abc")).toBe(false);
    expect(sameSecret("Bearer ab", "Bearer abc")).toBe(false);
  });
});
