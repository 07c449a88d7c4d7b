import { encode, MessageType, RTT_BUCKETS_MS } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { readStagingFrame } from "./staging-frames.js";

const welcome = encode({
  type: MessageType.WELCOME,
  connectionId: "c".repeat(22),
  userId: "u",
  epoch: 1,
  serverTime: 0,
  tokenExp: 600,
  limits: {
    ratePerSecond: 10,
    burst: 3,
    maxStateBytes: 2048,
    maxMetaBytes: 1024,
    maxFrameBytes: 4096,
    heartbeatMs: 2000,
  },
  rttBuckets: RTT_BUCKETS_MS,
});
const error = encode({ type: MessageType.ERROR, code: "UNAVAILABLE", message: "starting", fatal: true });

describe("readStagingFrame", () => {
  it("reads staging's limits from its welcome, before the socket is open", () => {
    expect(readStagingFrame(welcome, false)).toEqual({
      kind: "welcome",
      limits: { ratePerSecond: 10, burst: 3 },
    });
    expect(readStagingFrame(welcome, true)).toEqual({ kind: "other" });
  });

  it("reads an ERROR in either phase", () => {
    expect(readStagingFrame(error, false)).toEqual({ kind: "error", code: "UNAVAILABLE" });
    expect(readStagingFrame(error, true)).toEqual({ kind: "error", code: "UNAVAILABLE" });
  });

  it("does not decode other frames once open, and says when a frame cannot be decoded", () => {
    expect(readStagingFrame(Uint8Array.of(0xc1), true)).toEqual({ kind: "other" }); // not even msgpack
    expect(readStagingFrame(Uint8Array.of(0xc1), false)).toEqual({ kind: "undecodable" });
    expect(readStagingFrame(Uint8Array.of(0x92, MessageType.ERROR), true)).toEqual({ kind: "undecodable" });
  });
});
