import { RTT_BUCKETS_MS } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { createRttTracker } from "./rtt-tracker.js";

describe("createRttTracker", () => {
  it("counts each echoed patch in the bucket whose bound is the first ≥ its round trip", () => {
    const rtt = createRttTracker();
    rtt.reset([10, 40]);
    rtt.sent(1, 0);
    rtt.sent(2, 100);
    rtt.sent(3, 200);
    rtt.echoed(0, 1, 10); // 10 ms → bucket ≤ 10
    rtt.echoed(1, 3, 241); // 141 ms and 41 ms → +Inf
    expect(rtt.takeReport()).toEqual([1, 0, 2]);
  });

  it("reports nothing when nothing was measured, and resets after a report", () => {
    const rtt = createRttTracker();
    rtt.reset(RTT_BUCKETS_MS);
    expect(rtt.takeReport()).toBeNull();
    rtt.sent(1, 0);
    rtt.echoed(0, 1, 3);
    const report = rtt.takeReport();
    expect(report).toHaveLength(RTT_BUCKETS_MS.length + 1);
    expect(report?.[2]).toBe(1); // 3 ms: bucket ≤ 5
    expect(rtt.takeReport()).toBeNull();
  });

  it("ignores echoes of clocks it never sent or already matched", () => {
    const rtt = createRttTracker();
    rtt.reset([10]);
    rtt.sent(1, 0);
    rtt.echoed(0, 1, 5);
    rtt.echoed(0, 1, 50); // duplicate
    rtt.echoed(4, 9, 60); // unknown clocks
    expect(rtt.takeReport()).toEqual([1, 0]);
  });

  it("forgets pending sends on a new epoch", () => {
    const rtt = createRttTracker();
    rtt.reset([10]);
    rtt.sent(1, 0);
    rtt.reset([10]);
    rtt.echoed(0, 1, 5);
    expect(rtt.takeReport()).toBeNull();
  });
});
