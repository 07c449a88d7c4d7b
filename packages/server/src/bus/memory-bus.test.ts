import type { BatchEntry } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { createMemoryBus } from "./memory-bus.js";

const enter = (cid: string): BatchEntry => ({
  kind: "enter",
  connectionId: cid,
  userId: "u",
  info: undefined,
  epoch: 1,
  clock: 0,
  state: {},
});
const tick = () => new Promise((r) => setTimeout(r, 0));

describe("memory bus", () => {
  it("delivers a pod's entries to the other pods of the room, never back to it", async () => {
    const hub = createMemoryBus({ sweepIntervalMs: 0 });
    const got: Record<string, string[]> = { a: [], b: [] };
    const a = hub.connect("a");
    const b = hub.connect("b");
    await a.join("r", (entries, origin) => got.a!.push(`${origin}:${entries[0]?.connectionId}`));
    await b.join("r", (entries, origin) => got.b!.push(`${origin}:${entries[0]?.connectionId}`));
    a.publish("r", [enter("x")]);
    await tick();
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
    let t = 0;
    const hub = createMemoryBus({ now: () => t, sweepIntervalMs: 0 });
    const a = hub.connect("a");
    const leaves: BatchEntry[] = [];
    await hub.connect("b").join("r", (entries) => leaves.push(...entries));
    a.publish("r", [enter("x"), enter("y")]);
    t = 2500;
    a.touch("r", ["x"]);
    t = 4000;
    expect(hub.sweep()).toBe(1);
    await tick();
    expect(leaves.filter((e) => e.kind === "leave")).toEqual([
      { kind: "leave", connectionId: "y", epoch: 1, clock: 0, reason: "expired" },
    ]);
    expect(hub.state("r").map((p) => p.connectionId)).toEqual(["x"]);
    hub.close();
  });
});
