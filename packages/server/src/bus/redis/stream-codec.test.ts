import { type BatchEntry, type PeerState, ProtocolError } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import {
  batchConnectionField,
  decodeStoredPeer,
  decodeStreamBatch,
  encodeStoredPeer,
  encodeStreamBatch,
  maxVersion,
} from "./stream-codec.js";

const peer: PeerState = {
  connectionId: "c1",
  userId: "u1",
  info: { name: "Ada" },
  epoch: 2,
  clock: 5,
  state: { cursor: { x: 0.4, y: 0.3 }, status: "idle" },
};

describe("stream codec", () => {
  it("round-trips one flush's entries through the stream's d field", () => {
    const entries: BatchEntry[] = [
      { kind: "enter", ...peer },
      {
        kind: "update",
        connectionId: "c1",
        epoch: 2,
        base: 5,
        clock: 6,
        set: { status: "editing" },
        del: ["cursor"],
      },
      { kind: "leave", connectionId: "c2", epoch: 1, clock: 3, reason: "expired" },
    ];
    expect(decodeStreamBatch(encodeStreamBatch(entries))).toEqual(entries);
  });

  it("round-trips a versioned state through the state hash value", () => {
    expect(decodeStoredPeer(encodeStoredPeer(peer))).toEqual(peer);
  });

  it("refuses a value of the wrong kind with a protocol error, not a crash", () => {
    expect(() => decodeStreamBatch(encodeStoredPeer(peer))).toThrow(ProtocolError);
    expect(() => decodeStoredPeer(encodeStreamBatch([]))).toThrow(ProtocolError);
    expect(() => decodeStoredPeer(Buffer.from("garbage"))).toThrow(ProtocolError);
  });

  it("names the connection of a single-connection batch and '*' otherwise", () => {
    const leave = (cid: string): BatchEntry => ({
      kind: "leave",
      connectionId: cid,
      epoch: 1,
      clock: 1,
      reason: "left",
    });
    expect(batchConnectionField([leave("a"), leave("a")])).toBe("a");
    expect(batchConnectionField([leave("a"), leave("b")])).toBe("*");
    expect(batchConnectionField([])).toBe("*");
  });

  it("picks the newer version by epoch, then clock", () => {
    expect(maxVersion({ epoch: 1, clock: 9 }, { epoch: 2, clock: 0 })).toEqual({ epoch: 2, clock: 0 });
    expect(maxVersion({ epoch: 2, clock: 3 }, { epoch: 2, clock: 1 })).toEqual({ epoch: 2, clock: 3 });
    expect(maxVersion(undefined, { epoch: 1, clock: 1 })).toEqual({ epoch: 1, clock: 1 });
  });
});
