import { describe, expect, it } from "vitest";
import { createStallMonitor } from "./stall-monitor.js";

function fakeInterval() {
  let fn: () => void = () => {};
  return {
    setInterval: (f: () => void) => {
      fn = f;
      return {};
    },
    clearInterval: () => {},
    fire: () => fn(),
  };
}

describe("stall monitor", () => {
  it("reports nothing while the loop runs on time", () => {
    let t = 0;
    const timer = fakeInterval();
    const m = createStallMonitor({ now: () => t, ...timer });
    for (let i = 0; i < 10; i++) {
      t += 50;
      timer.fire();
    }
    expect(m.recentStallMs()).toBe(0);
  });

  it("reports a stall for the hold period, then forgets it", () => {
    let t = 0;
    const timer = fakeInterval();
    const m = createStallMonitor({ now: () => t, holdMs: 5000, ...timer });
    t += 50;
    timer.fire();
    t += 1050; // the timer fired 1 s late
    timer.fire();
    expect(m.recentStallMs()).toBe(1000);
    t += 50;
    timer.fire();
    expect(m.recentStallMs()).toBe(1000); // held
    t += 5000;
    expect(m.recentStallMs()).toBe(0);
  });
});
