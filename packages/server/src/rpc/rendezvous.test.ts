import { describe, expect, it } from "vitest";
import { pickPod, rankPods, rendezvousScore } from "./rendezvous.js";

const pods = ["10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000"];
const rooms = Array.from({ length: 3000 }, (_, i) => `room-${i}`);

describe("rendezvous hashing", () => {
  it("gives the same owner whatever the order of the pod list", () => {
    for (const room of rooms.slice(0, 200)) {
      expect(pickPod([...pods].reverse(), room)).toBe(pickPod(pods, room));
    }
  });

  it("spreads rooms evenly over the pods", () => {
    const counts = new Map<string, number>();
    for (const room of rooms) {
      const pod = pickPod(pods, room)!;
      counts.set(pod, (counts.get(pod) ?? 0) + 1);
    }
    for (const pod of pods) expect(counts.get(pod)).toBeGreaterThan(900); // 1 000 each ± noise
  });

  it("moves only the rooms of a pod that leaves, and brings exactly those back when it returns", () => {
    const survivors = pods.filter((p) => p !== pods[1]);
    for (const room of rooms) {
      const before = pickPod(pods, room);
      const after = pickPod(survivors, room);
      if (before !== pods[1]) expect(after).toBe(before);
      else expect(survivors).toContain(after);
    }
  });

  it("has no owner without live pods, and scores deterministically", () => {
    expect(pickPod([], "room")).toBeUndefined();
    expect(rendezvousScore("a:1", "r")).toBe(rendezvousScore("a:1", "r"));
    expect(rendezvousScore("a:1", "r")).not.toBe(rendezvousScore("a:1", "s"));
  });

  it("ranks every pod: the owner first, then each survivor's owner in turn", () => {
    for (const room of rooms.slice(0, 300)) {
      const order = rankPods(pods, room);
      expect([...order].sort()).toEqual([...pods].sort());
      expect(order[0]).toBe(pickPod(pods, room));
      expect(order[1]).toBe(
        pickPod(
          pods.filter((p) => p !== order[0]),
          room,
        ),
      );
      expect(rankPods([...pods].reverse(), room)).toEqual(order);
    }
    expect(rankPods([], "room")).toEqual([]);
  });
});
