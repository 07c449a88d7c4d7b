import type { BatchEntry } from "@collabblocks/protocol";
import { MessageType } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { createMemoryBus } from "../bus/memory-bus.js";
import type { PodFrame } from "../link/frames.js";
import { createFakeClock } from "../test-support/fake-clock.js";
import { createPod, TOUCH_INTERVAL_MS } from "./pod.js";

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
    const clock = createFakeClock();
    const pod = createPod({ podId: "p", clock });
    const a = session(pod, "a");
    a.s.receive({ type: "write", roomId: "r", entries: [enter("x"), enter("y")] });
    a.s.receive({ type: "sync-request", roomId: "r", syncId: 5 });
    await clock.settle();
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
    const clock = createFakeClock();
    const hub = createMemoryBus({ clock, sweepIntervalMs: 0 });
    const p1 = createPod({ podId: "p1", bus: hub.connect("p1"), clock });
    const p2 = createPod({ podId: "p2", bus: hub.connect("p2"), clock });
    const e1 = session(p1, "e1");
    const e2 = session(p2, "e2");
    e1.s.receive({ type: "attach", roomId: "r" });
    e2.s.receive({ type: "attach", roomId: "r" });
    await p1.manager.get("r").ready;
    await p2.manager.get("r").ready;
    e1.s.receive({ type: "write", roomId: "r", entries: [enter("x")] });
    await clock.settle();
    expect(e2.frames).toEqual([{ type: "update", roomId: "r", entries: [enter("x")] }]);
    expect(p2.manager.peek("r")?.replica.get("x")?.state).toEqual({ s: "x" });
    await p1.close();
    await p2.close();
    hub.close();
  });

  it("relays an edge's EVENT to the room's other edges and, through the bus, other pods' edges — never back, never stored", async () => {
    const clock = createFakeClock();
    const hub = createMemoryBus({ clock, sweepIntervalMs: 0 });
    const p1 = createPod({ podId: "p1", bus: hub.connect("p1"), clock });
    const p2 = createPod({ podId: "p2", bus: hub.connect("p2"), clock });
    const [a, b, c] = [session(p1, "a"), session(p1, "b"), session(p2, "c")];
    for (const e of [a, b, c]) e.s.receive({ type: "attach", roomId: "r" });
    await p1.manager.get("r").ready;
    await p2.manager.get("r").ready;
    const event = { type: MessageType.EVENT, connectionId: "x", userId: "u", event: { hi: 1 } } as const;
    a.s.receive({ type: "event", roomId: "r", event });
    await clock.settle();
    const frame = { type: "event", roomId: "r", event };
    expect([a.frames, b.frames, c.frames]).toEqual([[], [frame], [frame]]);
    expect(hub.state("r")).toEqual([]); // nothing persisted
    a.s.receive({ type: "event", roomId: "elsewhere", event }); // a room no edge here holds
    await clock.settle();
    expect(b.frames).toHaveLength(1);
    await p1.close();
    await p2.close();
    hub.close();
  });

  it("with a bus, leaves a closed session's connections to the sweeper instead of expiring them at once", async () => {
    const clock = createFakeClock();
    const hub = createMemoryBus({ clock, sweepIntervalMs: 0 });
    const pod = createPod({ podId: "p", bus: hub.connect("p"), clock });
    const a = session(pod, "a");
    const b = session(pod, "b");
    a.s.receive({ type: "attach", roomId: "r" });
    b.s.receive({ type: "attach", roomId: "r" });
    await pod.manager.get("r").ready;
    a.s.receive({ type: "write", roomId: "r", entries: [enter("x")] });
    b.frames.length = 0;
    a.s.close();
    await clock.advance(4000); // the pod's touches no longer include x
    expect(b.frames).toEqual([]); // no leave now: a re-assert elsewhere would be hidden by its floor
    hub.sweep();
    await clock.settle();
    expect(b.frames.at(-1)).toMatchObject({
      type: "update",
      entries: [{ kind: "leave", connectionId: "x" }],
    });
    await pod.close();
    hub.close();
  });

  it("publishes a re-asserted enter it already holds, so ownership moves with a room, and detach releases it", async () => {
    const published: BatchEntry[][] = [];
    const touched: string[][] = [];
    const bus = {
      podId: "p",
      join: async () => [],
      leave() {},
      publish: (_room: string, entries: readonly BatchEntry[]) => published.push([...entries]),
      touch: (_room: string, ids: readonly string[]) => touched.push([...ids]),
      publishEvent() {},
      close: async () => {},
    };
    const pod = createPod({ podId: "p", bus, touchIntervalMs: 60_000 });
    const old = session(pod, "old-edge");
    old.s.receive({ type: "attach", roomId: "r" });
    old.s.receive({ type: "write", roomId: "r", entries: [enter("x")] });
    const moved = session(pod, "new-edge");
    moved.s.receive({ type: "attach", roomId: "r" });
    moved.s.receive({ type: "write", roomId: "r", entries: [enter("x")] }); // same version: stale here
    expect(published).toEqual([[enter("x")], [enter("x")]]);
    expect(pod.manager.peek("r")?.owners.get("x")).toMatchObject({ edgeId: "new-edge" });
    moved.s.receive({ type: "detach", roomId: "r" });
    expect(pod.manager.peek("r")?.owners.size).toBe(0);
    expect(touched.at(-1)).toEqual([]);
    expect(old.frames).toEqual([]); // no leave for anyone
    await pod.close();
  });

  it("touches the connections it owns on the bus every TOUCH_INTERVAL_MS, and stops at close()", async () => {
    const touched: string[][] = [];
    const bus = {
      podId: "p",
      join: async () => [],
      leave() {},
      publish() {},
      publishEvent() {},
      touch: (_room: string, ids: readonly string[]) => touched.push([...ids]),
      close: async () => {},
    };
    const clock = createFakeClock();
    const pod = createPod({ podId: "p", bus, clock });
    const a = session(pod, "a");
    a.s.receive({ type: "attach", roomId: "r" });
    a.s.receive({ type: "write", roomId: "r", entries: [enter("x")] });
    await clock.advance(TOUCH_INTERVAL_MS - 1);
    expect(touched).toEqual([]);
    await clock.advance(1);
    expect(touched).toEqual([["x"]]);
    await clock.advance(TOUCH_INTERVAL_MS);
    expect(touched).toEqual([["x"], ["x"]]);
    await pod.close();
    expect(clock.pending).toBe(0);
  });
});
