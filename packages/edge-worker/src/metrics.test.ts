import { describe, expect, it } from "vitest";
import { dataPointOf, record } from "./metrics.js";

describe("room metrics data points", () => {
  it("index by room, name the event and its detail, carry one value", () => {
    expect(dataPointOf("r1", { kind: "join", plan: "pro" })).toEqual({
      indexes: ["r1"],
      blobs: ["join", "pro"],
      doubles: [1],
    });
    expect(dataPointOf(undefined, { kind: "refused", code: "INVALID_ROOM" })).toEqual({
      indexes: [""],
      blobs: ["refused", "INVALID_ROOM"],
      doubles: [1],
    });
    expect(dataPointOf("r1", { kind: "end", mode: "ghost", lastedMs: 1234 }).doubles).toEqual([1234]);
    expect(dataPointOf("r1", { kind: "start", sockets: 7 })).toMatchObject({
      blobs: ["start", ""],
      doubles: [7],
    });
    expect(dataPointOf("r1", { kind: "pod-lost" }).blobs).toEqual(["pod-lost", ""]);
  });

  it("writes nothing without a binding and swallows a failing one", () => {
    const points: unknown[] = [];
    record({ writeDataPoint: (p) => points.push(p) }, "r", { kind: "pod-lost" });
    expect(points).toHaveLength(1);
    expect(() => record(undefined, "r", { kind: "pod-lost" })).not.toThrow();
    const failing = {
      writeDataPoint: () => {
        throw new Error("quota");
      },
    };
    expect(() => record(failing, "r", { kind: "pod-lost" })).not.toThrow();
  });
});
