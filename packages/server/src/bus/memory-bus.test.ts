import type { BatchEntry } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { createFakeClock } from "../test-support/fake-clock.js";
import { createMemoryBus, DEFAULT_LAST_SEEN_EXPIRY_MS, DEFAULT_SWEEP_INTERVAL_MS } from "./memory-bus.js";

const enter = (cid: string): BatchEntry => ({
  kind: "enter",
  connectionId: cid,
  userId: "u",
  info: undefined,
  epoch: 1,
  clock: 0,
  state: {},
});

describe("memory bus", () => {
  it("delivers a pod's entries to the other pods of the room, never back to it", async () => {
    const clock = createFakeClock();
    const hub = createMemoryBus({ clock, sweepIntervalMs: 0 });
    const got: Record<string, string[]> = { a: [], b: [] };
    const a = hub.connect("a");
    const b = hub.connect("b");
    await a.join("r", (entries, origin) => got.a!.push(`${origin}:${entries[0]?.connectionId}`));
    await b.join("r", (entries, origin) => got.b!.push(`${origin}:${entries[0]?.connectionId}`));
    a.publish("r", [enter("x")]);
    expect(got).toEqual({ a: [], b: [] }); // asynchronous, like a real transport
    await clock.settle();
    expect(got).toEqual({ a: [], b: ["a:x"] });
    hub.close();
  });

  it("hands a joining pod the room's persisted state", async () => {
    const hub = createMemoryBus({ sweepIntervalMs: 0 });
    hub.connect("a").publish("r", [enter("x")]);
    const state = await hub.connect("b").join("r", () => {});
    expect(state.map((p) => p.connectionId)).toEqual(["x"]);
    hub.close();
  });

  it("expires connections whose last-seen was not refreshed for 3 s", async () => {
    const clock = createFakeClock();
    const hub = createMemoryBus({ clock, sweepIntervalMs: 0 });
    const a = hub.connect("a");
    const leaves: BatchEntry[] = [];
    await hub.connect("b").join("r", (entries) => leaves.push(...entries));
    a.publish("r", [enter("x"), enter("y")]);
    await clock.advance(2500);
    a.touch("r", ["x"]);
    await clock.advance(1500);
    expect(hub.sweep()).toBe(1);
    await clock.settle();
    expect(leaves.filter((e) => e.kind === "leave")).toEqual([
      { kind: "leave", connectionId: "y", epoch: 1, clock: 0, reason: "expired" },
    ]);
    expect(hub.state("r").map((p) => p.connectionId)).toEqual(["x"]);
    hub.close();
  });

  it("sweeps on its own every DEFAULT_SWEEP_INTERVAL_MS, and not after close()", async () => {
    const clock = createFakeClock();
    const hub = createMemoryBus({ clock });
    const leaves: BatchEntry[] = [];
    await hub.connect("b").join("r", (entries) => leaves.push(...entries));
    hub.connect("a").publish("r", [enter("x")]);
    await clock.advance(DEFAULT_LAST_SEEN_EXPIRY_MS);
    expect(leaves.map((e) => e.kind)).toEqual(["enter"]); // seen exactly the expiry ago: not stale yet
    await clock.advance(DEFAULT_SWEEP_INTERVAL_MS);
    expect(leaves.map((e) => e.kind)).toEqual(["enter", "leave"]);
    hub.close();
    expect(clock.pending).toBe(0);
  });
});
