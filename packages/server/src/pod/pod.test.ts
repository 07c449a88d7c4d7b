import type { BatchEntry } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { createMemoryBus } from "../bus/memory-bus.js";
import type { PodFrame } from "../link/frames.js";
import { createPod } from "./pod.js";

const enter = (cid: string, epoch = 1): BatchEntry => ({
  kind: "enter",
  connectionId: cid,
  userId: "u",
  info: undefined,
  epoch,
  clock: 0,
  state: { s: cid },
});

function session(pod: ReturnType<typeof createPod>, edgeId: string) {
  const frames: PodFrame[] = [];
  const s = pod.openSession(edgeId, (f) => frames.push(f));
  return { s, frames };
}

describe("pod", () => {
  it("broadcasts one edge's writes to the other edges attached to the room, not back to the writer", () => {
    const pod = createPod({ podId: "p" });
    const a = session(pod, "a");
    const b = session(pod, "b");
    const c = session(pod, "c");
    a.s.receive({ type: "attach", roomId: "r" });
    b.s.receive({ type: "attach", roomId: "r" });
    c.s.receive({ type: "attach", roomId: "other" });
    a.s.receive({ type: "write", roomId: "r", entries: [enter("x")] });
    expect(a.frames).toEqual([]);
    expect(b.frames).toEqual([{ type: "update", roomId: "r", entries: [enter("x")] }]);
    expect(c.frames).toEqual([]);
  });

  it("answers a sync request with chunks and a done frame", async () => {
    const pod = createPod({ podId: "p" });
    const a = session(pod, "a");
    a.s.receive({ type: "write", roomId: "r", entries: [enter("x"), enter("y")] });
    a.s.receive({ type: "sync-request", roomId: "r", syncId: 5 });
    await new Promise((r) => setTimeout(r, 0));
    expect(a.frames.map((f) => f.type)).toEqual(["snapshot-chunk", "snapshot-done"]);
    expect(a.frames[1]).toEqual({ type: "snapshot-done", roomId: "r", syncId: 5, total: 2 });
  });

  it("expires the connections of an edge whose session closes", () => {
    const pod = createPod({ podId: "p" });
    const a = session(pod, "a");
    const b = session(pod, "b");
    a.s.receive({ type: "attach", roomId: "r" });
    b.s.receive({ type: "attach", roomId: "r" });
    a.s.receive({ type: "write", roomId: "r", entries: [enter("x")] });
    a.s.close();
    expect(b.frames.at(-1)).toEqual({
      type: "update",
      roomId: "r",
      entries: [{ kind: "leave", connectionId: "x", epoch: 1, clock: 0, reason: "expired" }],
    });
    expect(pod.manager.peek("r")?.replica.size).toBe(0);
  });

  it("shares writes with other pods through the bus and applies theirs", async () => {
    const hub = createMemoryBus({ sweepIntervalMs: 0 });
    const p1 = createPod({ podId: "p1", bus: hub.connect("p1") });
    const p2 = createPod({ podId: "p2", bus: hub.connect("p2") });
    const e1 = session(p1, "e1");
    const e2 = session(p2, "e2");
    e1.s.receive({ type: "attach", roomId: "r" });
    e2.s.receive({ type: "attach", roomId: "r" });
    await p1.manager.get("r").ready;
    await p2.manager.get("r").ready;
    e1.s.receive({ type: "write", roomId: "r", entries: [enter("x")] });
    await new Promise((r) => setTimeout(r, 0));
    expect(e2.frames).toEqual([{ type: "update", roomId: "r", entries: [enter("x")] }]);
    expect(p2.manager.peek("r")?.replica.get("x")?.state).toEqual({ s: "x" });
    await p1.close();
    await p2.close();
    hub.close();
  });
});
