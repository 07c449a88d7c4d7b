// The S3 slice scenario's parts in the coordinator (docs/BENCHMARKS.md#s3-slice): how
// a room of `roomSize` splits into the measured edge's slice and the synthetic edge,
// the synthetic edge process itself, and the figure the scenario exists for.
import { fork } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pinPid } from "./proc-stats.mjs";
import { trackChild } from "./server-process.mjs";

const SYNTHETIC = path.join(path.dirname(fileURLToPath(import.meta.url)), "synthetic-edge.mjs");
/**
 * A slice "meets" the DoD's p95 ≤ 40 ms when its p95 is at most this: 5 ms are left
 * for what a one-machine run does not pay (the pod and edge on separate hosts).
 */
export const SLICE_P95_MS = 35;
/** …and every update arrived: no probe loss, and at least this share delivered to every connection. */
export const SLICE_MIN_DELIVERED = 0.999;

/**
 * Senders spread over the edges in proportion to their connections: the slice's
 * share (rounded) on the measured edge as real clients, the rest on the synthetic edge.
 */
export function slicePlan({ conns, roomSize, senders }) {
  if (roomSize <= conns) throw new RangeError(`--room-size (${roomSize}) must exceed the slice (${conns})`);
  const localSenders = Math.min(conns, Math.round((senders * conns) / roomSize));
  return {
    roomSize,
    slice: conns,
    remoteMembers: roomSize - conns,
    localSenders,
    remoteSenders: Math.min(roomSize - conns, senders - localSenders),
  };
}

/** Forks the synthetic edge and waits until the pod holds all its members. */
export async function startSyntheticEdge({ pin, base, pod, room, plan }) {
  const child = fork(SYNTHETIC, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  trackChild(child);
  pinPid(child.pid, pin.generatorCpus, pin);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const request = (msg, replyType) =>
    new Promise((resolve, reject) => {
      const onMessage = (reply) => {
        if (reply.type !== replyType) return;
        child.off("message", onMessage);
        resolve(reply);
      };
      child.on("message", onMessage);
      exited.then(() => reject(new Error(`synthetic edge exited during ${msg.type}`)));
      child.send(msg);
    });
  const edge = {
    pid: child.pid,
    request,
    send: (msg) => child.send(msg),
    async close() {
      if (child.exitCode === null) child.send({ type: "close" });
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000)).then(() => child.kill("SIGKILL"))]);
    },
  };
  const attached = await request(
    {
      type: "init",
      base,
      pod,
      room,
      members: plan.remoteMembers,
      senders: plan.remoteSenders,
      edgeId: `bench-synthetic-${process.pid}`,
    },
    "attached",
  );
  if (!attached.ok) {
    await edge.close();
    throw new Error(attached.error);
  }
  return edge;
}

/** Whether a slice run meets p95 ≤ SLICE_P95_MS with everything delivered. */
export function sliceMeets(r) {
  return (
    r.status === "ok" &&
    r.latency?.p95Ms != null &&
    r.latency.p95Ms <= SLICE_P95_MS &&
    r.probe.lossRatio === 0 &&
    (r.deliveredRatio ?? 0) >= SLICE_MIN_DELIVERED
  );
}

/**
 * Edge cores a room of `roomSize` needs at p95 ≤ 40 ms: roomSize ÷ the largest
 * slice one edge core held within SLICE_P95_MS with everything delivered; null
 * when no slice did.
 */
export function edgeCoresFor(results) {
  const passing = results.filter((r) => r.slice && sliceMeets(r));
  if (passing.length === 0) return null;
  const best = passing.reduce((a, b) => (b.slice.slice > a.slice.slice ? b : a));
  return {
    roomSize: best.slice.roomSize,
    slice: best.slice.slice,
    cores: best.slice.roomSize / best.slice.slice,
  };
}
