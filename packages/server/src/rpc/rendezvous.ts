// Rendezvous (highest-random-weight) hashing: a room goes to the live pod with
// the highest hash(pod, room). Every edge computes the same owner from the same
// pod list without talking to the others, and when a pod leaves only its rooms
// move (each to its own second choice, so they spread over the survivors); when
// it comes back exactly those rooms return. Rejected alternative: a consistent-
// hash ring, which needs virtual nodes to balance and gives nothing more at the
// tens of pods a deployment has (scoring n pods per room is cheap, and placement
// is only recomputed when the live set changes).
import { createHash } from "node:crypto";

/** A 48-bit score of (pod, room): SHA-256 is overkill for speed but has no bias and needs no code. */
export function rendezvousScore(pod: string, roomId: string): number {
  return createHash("sha256").update(pod).update("\n").update(roomId).digest().readUIntBE(0, 6);
}

/** Whether `a` places before `b` for `roomId`: the higher score, ties by name. */
function outranks(a: { pod: string; score: number }, b: { pod: string; score: number }): boolean {
  return a.score > b.score || (a.score === b.score && a.pod < b.pod);
}

/** The pod that owns `roomId` among `pods` (undefined when none); ties break by name. */
export function pickPod(pods: Iterable<string>, roomId: string): string | undefined {
  let best: { pod: string; score: number } | undefined;
  for (const pod of pods) {
    const scored = { pod, score: rendezvousScore(pod, roomId) };
    if (best === undefined || outranks(scored, best)) best = scored;
  }
  return best?.pod;
}

/**
 * Every pod in `roomId`'s rendezvous order: the owner first, then the one that
 * takes the room when the owner is gone, and so on (the Worker's dial order,
 * docs/EDGE-WORKERS.md#the-pod-link).
 */
export function rankPods(pods: Iterable<string>, roomId: string): string[] {
  return [...pods]
    .map((pod) => ({ pod, score: rendezvousScore(pod, roomId) }))
    .sort((a, b) => (outranks(a, b) ? -1 : outranks(b, a) ? 1 : 0))
    .map((p) => p.pod);
}
