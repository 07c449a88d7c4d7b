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

/** The pod that owns `roomId` among `pods` (undefined when none); ties break by name. */
export function pickPod(pods: Iterable<string>, roomId: string): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const pod of pods) {
    const score = rendezvousScore(pod, roomId);
    if (score > bestScore || (score === bestScore && best !== undefined && pod < best)) {
      best = pod;
      bestScore = score;
    }
  }
  return best;
}
