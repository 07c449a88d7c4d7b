import type { PeerState } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { createEdgeLink } from "./edge-link.js";
import type { EdgeFrame, PodFrame } from "./frames.js";

const peer = (cid: string): PeerState => ({
  connectionId: cid,
  userId: "u",
  info: undefined,
  epoch: 1,
  clock: 0,
  state: {},
});

function setup() {
  const sent: EdgeFrame[] = [];
  let toEdge: (f: PodFrame) => void = () => {};
  let reset: (room: string) => void = () => {};
  const link = createEdgeLink((onFrame, onReset) => {
    toEdge = onFrame;
    reset = onReset;
    return { send: (f) => sent.push(f), ready: true, close() {} };
  });
  return { link, sent, toEdge: (f: PodFrame) => toEdge(f), reset: (r: string) => reset(r) };
}

describe("edge link", () => {
  it("assembles a snapshot from its chunks and resolves on done", async () => {
    const { link, sent, toEdge } = setup();
    const result = link.syncRequest("r");
    expect(sent).toEqual([{ type: "sync-request", roomId: "r", syncId: 1 }]);
    toEdge({ type: "snapshot-chunk", roomId: "r", syncId: 1, entries: [peer("a")] });
    toEdge({ type: "snapshot-chunk", roomId: "r", syncId: 1, entries: [peer("b")] });
    toEdge({ type: "snapshot-done", roomId: "r", syncId: 1, total: 2 });
    expect((await result).map((p) => p.connectionId)).toEqual(["a", "b"]);
  });

  it("on a reset, tells the room's listener first, then asks the new pod again for unanswered syncs, dropping old chunks", async () => {
    const { link, sent, toEdge, reset } = setup();
    const order: string[] = [];
    link.attach("r", {
      onEntries: () => {},
      onReset: () => {
        order.push("listener");
        link.write("r", [{ kind: "leave", connectionId: "x", epoch: 1, clock: 0, reason: "left" }]);
      },
    });
    const pending = link.syncRequest("r");
    const other = link.syncRequest("elsewhere");
    toEdge({ type: "snapshot-chunk", roomId: "r", syncId: 1, entries: [peer("from-old-pod")] });
    sent.length = 0;
    reset("r");
    expect(order).toEqual(["listener"]);
    expect(sent.map((f) => f.type)).toEqual(["write", "sync-request"]);
    expect(sent[1]).toEqual({ type: "sync-request", roomId: "r", syncId: 1 });
    toEdge({ type: "snapshot-chunk", roomId: "r", syncId: 1, entries: [peer("from-new-pod")] });
    toEdge({ type: "snapshot-done", roomId: "r", syncId: 1, total: 1 });
    expect((await pending).map((p) => p.connectionId)).toEqual(["from-new-pod"]);
    link.close();
    expect(await other).toEqual([]);
  });
});
