import {
  decodeServerMessage,
  encode,
  MessageType,
  type PeerState,
  type SnapshotChunkMessage,
} from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { createSnapshotCache, encodeSnapshotFrames } from "./snapshot-frames.js";

function peer(i: number, extra = ""): PeerState {
  return {
    connectionId: `cid-${String(i).padStart(18, "0")}`,
    userId: `user-${i}`,
    info: i % 2 ? { name: `N${i}` } : undefined,
    epoch: 1 + (i % 3),
    clock: i * 7,
    state: { cursor: { x: (i % 100) / 100, y: 0.5 }, status: "idle", note: extra },
  };
}

describe("snapshot frames", () => {
  it("produces the same bytes as the protocol codec", () => {
    for (const n of [0, 1, 15, 16, 300]) {
      const peers = Array.from({ length: n }, (_, i) => peer(i));
      const { frames, chunks } = encodeSnapshotFrames(peers, 3);
      expect(chunks).toBe(1);
      expect(Buffer.from(frames[0]!)).toEqual(
        Buffer.from(encode({ type: MessageType.SNAPSHOT_CHUNK, syncId: 3, entries: peers })),
      );
      expect(decodeServerMessage(frames[1]!)).toEqual({
        type: MessageType.SNAPSHOT_DONE,
        syncId: 3,
        total: n,
      });
    }
  });

  it("splits large snapshots into chunks of at most 64 KB that decode to every peer in order", () => {
    const peers = Array.from({ length: 5000 }, (_, i) => peer(i, "n".repeat(i % 50)));
    const { frames, chunks } = encodeSnapshotFrames(peers, 70_000);
    expect(chunks).toBeGreaterThan(1);
    const decoded: PeerState[] = [];
    for (const f of frames.slice(0, chunks)) {
      expect(f.length).toBeLessThanOrEqual(64 * 1024);
      const msg = decodeServerMessage(f) as SnapshotChunkMessage;
      expect(msg.syncId).toBe(70_000);
      decoded.push(...msg.entries);
    }
    expect(decoded).toEqual(peers);
  });

  it("reuses a peer's encoding while the PeerState object is unchanged", () => {
    const p = peer(1);
    const a = encodeSnapshotFrames([p], 0).frames[0]!;
    const changed = { ...p, clock: p.clock + 1 };
    const b = encodeSnapshotFrames([changed], 0).frames[0]!;
    expect(decodeServerMessage(a)).toMatchObject({ entries: [{ clock: p.clock }] });
    expect(decodeServerMessage(b)).toMatchObject({ entries: [{ clock: p.clock + 1 }] });
  });

  it("caches a room's chunks between changes and puts each request's syncId in front", () => {
    let peers = Array.from({ length: 2000 }, (_, i) => peer(i, "n".repeat(40)));
    let walks = 0;
    const cache = createSnapshotCache(() => {
      walks++;
      return peers;
    });
    const a = cache.frames(7);
    const b = cache.frames(8);
    expect(walks).toBe(1);
    expect(a.chunks).toBeGreaterThan(1);
    expect(b.bytes).toBe(a.bytes);
    expect(a.bytes).toBe(a.frames.reduce((n, f) => n + f.length, 0));
    const direct = encodeSnapshotFrames(peers, 8);
    expect(b.frames.map((f) => Buffer.from(f))).toEqual(direct.frames.map((f) => Buffer.from(f)));
    peers = peers.slice(1);
    cache.invalidate();
    const c = cache.frames(9);
    expect(walks).toBe(2);
    expect(decodeServerMessage(c.frames.at(-1)!)).toEqual({
      type: MessageType.SNAPSHOT_DONE,
      syncId: 9,
      total: 1999,
    });
  });
});
