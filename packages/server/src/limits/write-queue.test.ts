import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { createWriteQueue } from "./write-queue.js";

/** A stream that accepts `room` writes before saying false, then waits for drain(). */
function fakeStream(room: number) {
  const events = new EventEmitter();
  const written: string[] = [];
  let space = room;
  return {
    written,
    write(m: string) {
      written.push(m);
      space--;
      return space > 0;
    },
    once(event: "drain", fn: () => void) {
      events.once(event, fn);
    },
    drain(more: number) {
      space = more;
      events.emit("drain");
    },
  };
}

describe("write queue", () => {
  it("stops writing when write() returns false and resumes in order on drain", () => {
    const s = fakeStream(2);
    const q = createWriteQueue({ stream: s, sizeOf: (m: string) => m.length, onOverflow: () => {} });
    for (const m of ["a", "b", "c", "d", "e"]) q.push(m);
    expect(s.written).toEqual(["a", "b"]);
    expect(q.paused).toBe(true);
    expect(q.queued).toBe(3);
    s.drain(2);
    expect(s.written).toEqual(["a", "b", "c", "d"]);
    expect(q.paused).toBe(true);
    s.drain(10);
    expect(s.written).toEqual(["a", "b", "c", "d", "e"]);
    expect(q.paused).toBe(false);
    expect(q.queued).toBe(0);
  });

  it("reports an overflow once, and drops what waits, when the bound is passed", () => {
    const s = fakeStream(1);
    let overflows = 0;
    const q = createWriteQueue({
      stream: s,
      sizeOf: (m: string) => m.length,
      maxQueuedBytes: 10,
      onOverflow: () => overflows++,
    });
    q.push("first");
    for (let i = 0; i < 5; i++) q.push("xxxx");
    expect(overflows).toBe(1);
    expect(q.queued).toBe(0);
    s.drain(10);
    expect(s.written).toEqual(["first"]);
  });
});
