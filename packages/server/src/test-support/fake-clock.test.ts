import { describe, expect, it } from "vitest";
import { CLOCK_START, createFakeClock } from "./fake-clock.js";

describe("createFakeClock", () => {
  it("fires timers in due order and only when time reaches them", async () => {
    const clock = createFakeClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push("b"), 20);
    clock.setTimeout(() => fired.push("a"), 10);
    const c = clock.setTimeout(() => fired.push("c"), 15);
    clock.clearTimeout(c);
    await clock.advance(15);
    expect(fired).toEqual(["a"]);
    await clock.advance(5);
    expect(fired).toEqual(["a", "b"]);
    expect(clock.now()).toBe(CLOCK_START + 20);
  });

  it("re-arms an interval until it is cleared", async () => {
    const clock = createFakeClock();
    const at: number[] = [];
    const h = clock.setInterval(() => at.push(clock.now() - CLOCK_START), 100);
    await clock.advance(350);
    expect(at).toEqual([100, 200, 300]);
    clock.clearInterval(h);
    await clock.advance(500);
    expect(at).toHaveLength(3);
    expect(clock.pending).toBe(0);
  });
});
