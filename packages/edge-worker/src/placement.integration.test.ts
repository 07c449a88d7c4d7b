// Placement over several pods (docs/EDGE-WORKERS.md#the-pod-link): with POD_URLS the
// object dials its room's pods in rendezvous order (the Node edge's --pods
// placement), so rooms spread over the pods, and when the owner dies the room moves
// to the next pod in that order; a member on the object and a member on a Node
// edge of the surviving pod converge again through it.
import { rankPods } from "@collabblocks/server/portable";
import { describe, expect, it } from "vitest";
import { waitConverged } from "../../server/src/test-support/presence-processes.js";
import type { RoleProcess } from "../../server/src/test-support/split-processes.js";
import { useDoEdge } from "./test-support/do-edge.js";

const suite = useDoEdge({ pods: 2, nodeEdge: true });

/** The pod whose log says it dialled the room's object. */
function dialledBy(pods: readonly RoleProcess[], room: string): RoleProcess[] {
  return pods.filter((p) => p.output().includes(`"roomId":"${room}","msg":"worker link dialling"`));
}

/** The first rooms named `prefix-N` whose rendezvous owner is `pod`. */
function roomsOwnedBy(urls: string[], pod: string, prefix: string, count: number): string[] {
  const rooms: string[] = [];
  for (let i = 0; rooms.length < count; i++) {
    if (rankPods(urls, `${prefix}-${i}`)[0] === pod) rooms.push(`${prefix}-${i}`);
  }
  return rooms;
}

describe("rendezvous placement of rooms over POD_URLS", () => {
  it("spreads rooms over both pods, each on its rendezvous owner", async () => {
    const pods = suite.cluster.pods;
    const urls = pods.map((p) => p.url);
    const rooms = [
      ...roomsOwnedBy(urls, urls[0]!, "spread", 2),
      ...roomsOwnedBy(urls, urls[1]!, "spread", 2),
    ];
    for (const room of rooms) await suite.join(room, "ada");
    for (const room of rooms) {
      const owner = pods.find((p) => p.url === rankPods(urls, room)[0])!;
      expect(dialledBy(pods, room)).toEqual([owner]);
    }
  }, 30_000);

  it("moves a room to the next pod when its owner is killed, and its members converge", async () => {
    const [survivor, doomed] = suite.cluster.pods as [RoleProcess, RoleProcess];
    const urls = suite.cluster.pods.map((p) => p.url);
    // Owned by the pod that dies; the Node edge is on the one that survives.
    const [room] = roomsOwnedBy(urls, doomed.url, "moves", 1) as [string];
    const onDo = await suite.join(room, "ada");
    const onNode = await suite.join(room, "bo", { url: suite.cluster.nodeEdge!.wsUrl });
    onDo.update({ status: "before" });
    onNode.update({ status: "before" });
    await waitConverged([onDo, onNode], [onDo, onNode], 10_000, "before the kill");
    expect(dialledBy([survivor, doomed], room)).toEqual([doomed]);

    const killedAt = performance.now();
    await doomed.kill9();
    onDo.update({ status: "after", cursor: { x: 0.25, y: 0.75 } });
    onNode.update({ status: "after" });
    const took = await waitConverged([onDo, onNode], [onDo, onNode], 20_000, "after the kill");
    console.log(`[placement] converged ${Math.round(took)} ms after kill -9 of the owning pod`);
    expect(performance.now() - killedAt).toBeLessThan(20_000);
    expect(dialledBy([survivor], room)).toEqual([survivor]);
    expect(onDo.errors).toEqual([]);
    expect([onDo, onNode].every((c) => c.ws.readyState === c.ws.OPEN)).toBe(true);
  }, 60_000);
});
