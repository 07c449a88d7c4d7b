import { describe, expect, it } from "vitest";
import { createFakeClock } from "../test-support/fake-clock.js";
import { createFlushQueue, type Flushable, SHADOW_FLUSH_MS } from "./flush-queue.js";

/** Done after `tries` flushes. */
function item(tries: number): Flushable & { calls: number } {
  return {
    calls: 0,
    flush() {
      this.calls++;
      return this.calls >= tries;
    },
  };
}

describe("createFlushQueue", () => {
  it("retries waiting items every SHADOW_FLUSH_MS until each is done, then stops its timer", async () => {
    const clock = createFakeClock();
    const queue = createFlushQueue(clock);
    const once = item(1);
    const thrice = item(3);
    queue.add(once);
    queue.add(thrice);
    queue.add(thrice);
    expect(clock.pending).toBe(1);
    await clock.advance(SHADOW_FLUSH_MS - 1);
    expect(once.calls).toBe(0);
    await clock.advance(1);
    expect([once.calls, thrice.calls, queue.size]).toEqual([1, 1, 1]);
    await clock.advance(2 * SHADOW_FLUSH_MS);
    expect([once.calls, thrice.calls, queue.size]).toEqual([1, 3, 0]);
    expect(clock.pending).toBe(0);
  });

  it("forgets a deleted item, and takes none after close", async () => {
    const clock = createFakeClock();
    const queue = createFlushQueue(clock);
    const a = item(1);
    queue.add(a);
    queue.delete(a);
    await clock.advance(SHADOW_FLUSH_MS);
    expect(a.calls).toBe(0);
    queue.close();
    queue.add(a);
    expect(queue.size).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
