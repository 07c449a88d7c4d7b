import type { BatchEntry } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import type { EdgeFrame } from "../link/frames.js";
import { createWriteBatch, MAX_ENTRIES_PER_WRITE } from "./pod-write-batch.js";

const update = (cid: string, clock: number): BatchEntry => ({
  kind: "update",
  connectionId: cid,
  epoch: 1,
  base: clock - 1,
  clock,
  set: {},
  del: [],
});
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("pod write batch", () => {
  it("sends a turn's writes of one room as one Write frame, rooms in first-write order", async () => {
    const sent: EdgeFrame[] = [];
    const batch = createWriteBatch(
      (f) => sent.push(f),
      () => true,
    );
    batch.add({ type: "write", roomId: "b", entries: [update("x", 1)] });
    batch.add({ type: "write", roomId: "a", entries: [update("y", 1)] });
    batch.add({ type: "write", roomId: "b", entries: [update("x", 2)] });
    expect(sent).toEqual([]);
    expect(batch.rooms).toBe(2);
    await turn();
    expect(sent).toEqual([
      { type: "write", roomId: "b", entries: [update("x", 1), update("x", 2)] },
      { type: "write", roomId: "a", entries: [update("y", 1)] },
    ]);
  });

  it(`splits a room's writes at ${MAX_ENTRIES_PER_WRITE} entries a frame`, () => {
    const sent: EdgeFrame[] = [];
    const batch = createWriteBatch(
      (f) => sent.push(f),
      () => true,
    );
    const entries = Array.from({ length: MAX_ENTRIES_PER_WRITE * 2 + 1 }, (_, i) => update("x", i + 1));
    batch.add({ type: "write", roomId: "r", entries });
    batch.flush();
    expect(sent.map((f) => (f.type === "write" ? f.entries.length : 0))).toEqual([
      MAX_ENTRIES_PER_WRITE,
      MAX_ENTRIES_PER_WRITE,
      1,
    ]);
  });

  it("drops what waits when the stream cannot send, and after clear()", async () => {
    const sent: EdgeFrame[] = [];
    let up = false;
    const batch = createWriteBatch(
      (f) => sent.push(f),
      () => up,
    );
    batch.add({ type: "write", roomId: "r", entries: [update("x", 1)] });
    await turn();
    up = true;
    batch.add({ type: "write", roomId: "r", entries: [update("x", 2)] });
    batch.clear();
    await turn();
    expect(sent).toEqual([]);
    expect(batch.rooms).toBe(0);
  });
});
