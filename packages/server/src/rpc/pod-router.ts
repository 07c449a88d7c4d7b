// The edge's LinkTransport in split mode: one PodConnection per pod of the static
// `--pods` list, and each attached room placed on one live pod by rendezvous
// hashing (rendezvous.ts). Every edge computes the same placement from the same
// list, so all edges of a room normally meet on one pod; while their views of
// the live set differ they meet through the pods' Redis bus instead.
//
// Moves (a pod died, or a pod came back and now wins the room):
//   1. attach the room on the new pod;
//   2. onReset(room): the edge link re-sends its pending sync requests there, and
//      the edge re-asserts its own connections (so the new pod owns and keeps
//      them alive) and resyncs the room;
//   3. detach it from the old pod if that one is still up.
// Frames are delivered only from a room's current pod, so a snapshot can never
// mix chunks of two pods, and late updates of the old pod are ignored (the
// resync covers them). Writes for a room with no live pod are dropped: the
// re-assert of step 2 replaces them once a pod is back.
import { assertNever } from "@collabblocks/protocol";
import type { Logger } from "pino";
import type { LinkTransport } from "../link/edge-link.js";
import type { EdgeFrame, PodFrame } from "../link/frames.js";
import { createSilentLogger } from "../ops/logger.js";
import { createPodConnection, type PodConnection, type PodConnectionOptions } from "./pod-connection.js";
import { pickPod } from "./rendezvous.js";

export interface PodRouterOptions {
  /** host:port of every pod (`--pods`); rooms are placed on the live ones. */
  readonly pods: readonly string[];
  /** This edge's id, sent to pods (`edge-id` metadata). */
  readonly edgeId: string;
  readonly logger?: Logger;
  /** Makes the connection to one pod (tests inject fakes). */
  readonly connect?: (options: PodConnectionOptions) => PodConnection;
}

export interface PodRouter {
  /** The transport for createEdgeLink: `onReset(room)` fires after a room moved to another pod. */
  connect(onFrame: (frame: PodFrame) => void, onReset: (roomId: string) => void): LinkTransport;
  /** Pods whose stream is up. */
  livePods(): string[];
  /** The pod a room is attached to now (undefined: none is live, or not attached). */
  podOf(roomId: string): string | undefined;
  /** Frames waiting behind paused streams. */
  backlog(): number;
}

/** Parses `host:port,host:port`; throws RangeError naming the bad entry. */
export function parsePodList(spec: string, source = "--pods"): string[] {
  const pods = spec
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (pods.length === 0) throw new RangeError(`${source} needs at least one host:port`);
  for (const pod of pods) {
    const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(pod);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
      throw new RangeError(`${source}: "${pod}" is not host:port`);
    }
  }
  if (new Set(pods).size !== pods.length) throw new RangeError(`${source} lists a pod twice`);
  return pods;
}

export function createPodRouter(options: PodRouterOptions): PodRouter {
  const logger = options.logger ?? createSilentLogger();
  const connectPod = options.connect ?? createPodConnection;
  if (options.pods.length === 0) throw new RangeError("an edge needs at least one pod");
  /** Attached rooms → the pod they are attached to (undefined while no pod is live). */
  const rooms = new Map<string, string | undefined>();
  const live = new Set<string>();
  const conns = new Map<string, PodConnection>();
  let handleFrame: (frame: PodFrame) => void = () => {};
  let handleReset: (roomId: string) => void = () => {};
  let started = false;
  let closed = false;

  /** Re-places every room after the live set changed. */
  const rebalance = (): void => {
    let moved = 0;
    for (const [roomId, current] of [...rooms]) {
      const target = pickPod(live, roomId);
      if (target === current || !rooms.has(roomId)) continue;
      rooms.set(roomId, target);
      if (target !== undefined) {
        conns.get(target)?.send({ type: "attach", roomId });
        handleReset(roomId);
        moved++;
      }
      if (current !== undefined && live.has(current)) conns.get(current)?.send({ type: "detach", roomId });
    }
    if (moved > 0) logger.info({ moved, live: live.size }, "rooms moved between pods");
  };

  const start = (): void => {
    for (const address of options.pods) {
      const conn = connectPod({
        address,
        edgeId: options.edgeId,
        logger,
        onFrame(frame) {
          if (rooms.get(frame.roomId) === address) handleFrame(frame);
        },
        onStatus(up) {
          if (closed) return;
          if (up) live.add(address);
          else live.delete(address);
          rebalance();
        },
      });
      conns.set(address, conn);
    }
  };

  const route = (roomId: string): PodConnection | undefined => {
    const pod = rooms.get(roomId);
    return pod === undefined ? undefined : conns.get(pod);
  };

  return {
    connect(onFrame, onReset) {
      if (started) throw new Error("a pod router serves one edge link");
      started = true;
      handleFrame = onFrame;
      handleReset = onReset;
      start();
      return {
        send(frame: EdgeFrame) {
          if (closed) return;
          switch (frame.type) {
            case "attach": {
              const pod = pickPod(live, frame.roomId);
              rooms.set(frame.roomId, pod);
              if (pod !== undefined) conns.get(pod)?.send(frame);
              return;
            }
            case "detach": {
              const conn = route(frame.roomId);
              rooms.delete(frame.roomId);
              conn?.send(frame);
              return;
            }
            case "write":
            case "sync-request":
            case "event":
              route(frame.roomId)?.send(frame);
              return;
            default:
              assertNever(frame);
          }
        },
        get ready() {
          return !closed && live.size > 0;
        },
        close() {
          if (closed) return;
          closed = true;
          for (const conn of conns.values()) conn.close();
          live.clear();
          rooms.clear();
        },
      };
    },
    livePods: () => [...live],
    podOf: (roomId) => rooms.get(roomId),
    backlog() {
      let n = 0;
      for (const conn of conns.values()) n += conn.backlog;
      return n;
    },
  };
}
