import { describe, expect, it } from "vitest";
import { decodeServerMessage, encode } from "./codec.js";
import { MAX_SNAPSHOT_CHUNK_BYTES } from "./limits.js";
import { MessageType, type PeerState } from "./messages.js";
import { chunkSnapshot } from "./snapshot.js";

const peer = (i: number): PeerState => ({
  connectionId: `conn-${String(i).padStart(16, "0")}`,
  userId: `user-${i}`,
  info: { name: `User ${i}`, color: "#336699" },
  epoch: 1,
  clock: i,
  state: {
    cursor: { x: (i % 1280) / 1280, y: (i % 960) / 960 },
    status: "editing",
    meta: { pad: "x".repeat(200) },
  },
});

describe("chunkSnapshot", () => {
  it("splits 5 000 presences into chunks that each encode to at most 64 KB and keep every entry", () => {
    const entries = Array.from({ length: 5000 }, (_, i) => peer(i));
    const chunks = chunkSnapshot(entries);
    expect(chunks.length).toBeGreaterThan(10);
    let total = 0;
    for (const chunk of chunks) {
      const bytes = encode({ type: MessageType.SNAPSHOT_CHUNK, syncId: 4_000_000_000, entries: chunk });
      expect(bytes.length).toBeLessThanOrEqual(MAX_SNAPSHOT_CHUNK_BYTES);
      const decoded = decodeServerMessage(bytes);
      total += decoded.type === MessageType.SNAPSHOT_CHUNK ? decoded.entries.length : 0;
    }
    expect(total).toBe(5000);
  });

  it("returns one empty chunk for an empty room", () => {
    expect(chunkSnapshot([])).toEqual([[]]);
  });
});
