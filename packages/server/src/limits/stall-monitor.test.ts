import { describe, expect, it } from "vitest";
import { createStallMonitor } from "./stall-monitor.js";

/** A monitor on a fake clock and interval: `tick(ms)` advances the clock and fires the probe. */
function monitorOnFakeTime(holdMs = 5000) {
  let t = 0;
  let fire: () => void = () => {};
  const monitor = createStallMonitor({
    now: () => t,
    holdMs,
    setInterval: (f: () => void) => {
      fire = f;
      return {};
    },
    clearInterval: () => {},
  });
  return {
    monitor,
    advance: (ms: number) => {
      t += ms;
    },
    tick: (ms: number, times = 1) => {
      for (let i = 0; i < times; i++) {
        t += ms;
        fire();
      }
    },
  };
}

describe("stall monitor", () => {
  it("reports nothing while the loop runs on time", () => {
    const { monitor, tick } = monitorOnFakeTime();
    tick(50, 10);
    expect(monitor.recentStallMs()).toBe(0);
  });

  it("reports a stall for the hold period, then forgets it", () => {
    const { monitor, tick } = monitorOnFakeTime(5000);
    tick(50);
    tick(1050); // the timer fired 1 s late
    expect(monitor.recentStallMs()).toBe(1000);
    tick(50);
    expect(monitor.recentStallMs()).toBe(1000); // held
    tick(50, 100);
    expect(monitor.recentStallMs()).toBe(0);
  });

  it("counts a stall still in progress, before its tick records it", () => {
    const { monitor, tick, advance } = monitorOnFakeTime(5000);
    tick(50);
    advance(30);
    expect(monitor.recentStallMs()).toBe(0); // within the period: on time
    advance(420); // the loop held for 0.4 s past the tick; frames read now, the tick not yet run
    expect(monitor.recentStallMs()).toBe(400);
    tick(0); // the tick records it, and it is held as any stall
    tick(50);
    expect(monitor.recentStallMs()).toBe(400);
  });
});
