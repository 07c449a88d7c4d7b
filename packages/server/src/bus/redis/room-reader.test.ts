import { describe, expect, it } from "vitest";
import { createRoomReader, type ReadResult } from "./room-reader.js";

/** A fake XREADGROUP: each call takes the next scripted result and resolves when released. */
function scripted(results: ReadResult[]) {
  const calls: string[] = [];
  const waiting: Array<() => void> = [];
  const read = (id: string): Promise<ReadResult> => {
    calls.push(id);
    const r = results.shift() ?? { count: 0, lastId: undefined };
    return new Promise((resolve) => waiting.push(() => resolve(r)));
  };
  const release = async (): Promise<void> => {
    waiting.shift()?.();
    await new Promise((r) => setTimeout(r, 0));
  };
  return { calls, read, release };
}

describe("room reader", () => {
  it("merges wake-ups that arrive during a read into one more read", async () => {
    const s = scripted([
      { count: 1, lastId: "1-0" },
      { count: 2, lastId: "3-0" },
    ]);
    const reader = createRoomReader({ read: s.read, onError: () => {}, batch: 100 });
    reader.wake();
    reader.wake();
    reader.wake();
    expect(s.calls).toEqual([">"]);
    await s.release();
    expect(s.calls).toEqual([">", ">"]);
    await s.release();
    expect(s.calls).toEqual([">", ">"]);
  });

  it("reads again at once while batches come back full", async () => {
    const s = scripted([
      { count: 2, lastId: "2-0" },
      { count: 2, lastId: "4-0" },
      { count: 1, lastId: "5-0" },
    ]);
    const reader = createRoomReader({ read: s.read, onError: () => {}, batch: 2 });
    reader.wake();
    await s.release();
    await s.release();
    await s.release();
    expect(s.calls).toEqual([">", ">", ">"]);
  });

  it("catches up by paging through its pending entries from 0 before reading new ones", async () => {
    const s = scripted([
      { count: 2, lastId: "2-0" },
      { count: 1, lastId: "3-0" },
      { count: 0, lastId: undefined },
    ]);
    const reader = createRoomReader({ read: s.read, onError: () => {}, batch: 2 });
    reader.catchUp();
    await s.release();
    await s.release();
    await s.release();
    expect(s.calls).toEqual(["0", "2-0", ">"]);
  });

  it("reports a failed read and recovers on the next wake-up, re-reading its pending entries first", async () => {
    const errors: unknown[] = [];
    let fail = true;
    const reader = createRoomReader({
      read: async () => {
        if (fail) throw new Error("down");
        return { count: 0, lastId: undefined };
      },
      onError: (err) => errors.push(err),
    });
    reader.wake();
    await new Promise((r) => setTimeout(r, 0));
    expect(reader.failed).toBe(true);
    expect(errors).toHaveLength(1);
    fail = false;
    const ids: string[] = [];
    const reading = createRoomReader({
      read: async (id) => {
        ids.push(id);
        if (fail) throw new Error("timeout");
        return { count: 0, lastId: undefined };
      },
      onError: () => {},
    });
    fail = true;
    reading.wake();
    await new Promise((r) => setTimeout(r, 0));
    fail = false;
    reading.wake();
    await new Promise((r) => setTimeout(r, 0));
    // The failed read may have run on Redis after all: its entries are pending, so "0" first.
    expect(ids).toEqual([">", "0", ">"]);
    reader.wake();
    await new Promise((r) => setTimeout(r, 0));
    expect(reader.failed).toBe(false);
    expect(reader.lastReadAt).toBeGreaterThan(0);
  });
});
