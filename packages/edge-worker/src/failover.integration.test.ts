// The pod behind a room object restarts (docs/EDGE-WORKERS.md#the-pod-link,
// docs/ARCHITECTURE.md#failover-walkthrough): the object's link socket closes, it
// re-dials with backoff, re-asserts its connections and resyncs; a member on a
// Node edge of the same pod and a member on the object converge again, and the
// clients keep their sockets.
import { describe, expect, it } from "vitest";
import { waitConverged } from "../../server/src/test-support/presence-processes.js";
import { useDoEdge } from "./test-support/do-edge.js";

const suite = useDoEdge({ nodeEdge: true });

describe("a pod restart behind the Durable Object edge", () => {
  it("keeps every socket and converges the room across both kinds of edge again", async () => {
    const onDo = await suite.join("failover", "ada");
    const onNode = await suite.join("failover", "bo", { url: suite.cluster.nodeEdge!.wsUrl });
    onDo.update({ status: "before" });
    onNode.update({ status: "before" });
    await waitConverged([onDo, onNode], [onDo, onNode], 10_000, "before the restart");

    const restartedAt = performance.now();
    await suite.cluster.restartPod();
    // New patches on both sides travel through the new pod only once both edges are back on it.
    onDo.update({ status: "after", cursor: { x: 0.5, y: 0.5 } });
    onNode.update({ status: "after" });
    const took = await waitConverged([onDo, onNode], [onDo, onNode], 20_000, "after the restart");
    console.log(
      `[failover] converged ${Math.round(took)} ms after the new pod was up ` +
        `(${Math.round(performance.now() - restartedAt)} ms after the restart began); ` +
        `leaves seen: ${[...onDo.events, ...onNode.events].filter((e) => e.kind === "leave").length}`,
    );
    expect(onDo.errors).toEqual([]);
    expect(onNode.errors).toEqual([]);
    const stillOpen = [onDo, onNode].every((c) => c.ws.readyState === c.ws.OPEN);
    expect(stillOpen).toBe(true);
  }, 60_000);
});
