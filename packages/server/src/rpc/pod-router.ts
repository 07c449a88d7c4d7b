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
import type { Clock } from "../ops/clock.js";
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
  /** Timers of the pod connections (reconnect backoff); default the system clock. */
  readonly clock?: Clock;
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

/** The router's state, shared by its parts. */
interface RouterState {
  /** Attached rooms → the pod they are attached to (undefined while no pod is live). */
  readonly rooms: Map<string, string | undefined>;
  readonly live: Set<string>;
  readonly conns: Map<string, PodConnection>;
  readonly logger: Logger;
  handleFrame: (frame: PodFrame) => void;
  handleReset: (roomId: string) => void;
  closed: boolean;
}

/** Re-places every room after the live set changed (the move steps at the top). */
function rebalance(r: RouterState): void {
  let moved = 0;
  for (const [roomId, current] of [...r.rooms]) {
    const target = pickPod(r.live, roomId);
    if (target === current || !r.rooms.has(roomId)) continue;
    r.rooms.set(roomId, target);
    if (target !== undefined) {
      r.conns.get(target)?.send({ type: "attach", roomId });
      r.handleReset(roomId);
      moved++;
    }
    if (current !== undefined && r.live.has(current)) r.conns.get(current)?.send({ type: "detach", roomId });
  }
  if (moved > 0) r.logger.info({ moved, live: r.live.size }, "rooms moved between pods");
}

/** Sends an edge frame to its room's pod; attach places the room, detach forgets it. */
function route(r: RouterState, frame: EdgeFrame): void {
  if (r.closed) return;
  const podOf = (roomId: string): PodConnection | undefined => {
    const pod = r.rooms.get(roomId);
    return pod === undefined ? undefined : r.conns.get(pod);
  };
  switch (frame.type) {
    case "attach": {
      const pod = pickPod(r.live, frame.roomId);
      r.rooms.set(frame.roomId, pod);
      if (pod !== undefined) r.conns.get(pod)?.send(frame);
      return;
    }
    case "detach": {
      const conn = podOf(frame.roomId);
      r.rooms.delete(frame.roomId);
      conn?.send(frame);
      return;
    }
    case "write":
    case "sync-request":
    case "event":
      podOf(frame.roomId)?.send(frame);
      return;
    default:
      assertNever(frame);
  }
}

/** Opens one connection per pod; a pod's status change re-places the rooms. */
function connectPods(r: RouterState, options: PodRouterOptions): void {
  const connectPod = options.connect ?? createPodConnection;
  for (const address of options.pods) {
    const conn = connectPod({
      address,
      edgeId: options.edgeId,
      logger: r.logger,
      clock: options.clock,
      onFrame(frame) {
        if (r.rooms.get(frame.roomId) === address) r.handleFrame(frame);
      },
      onStatus(up) {
        if (r.closed) return;
        if (up) r.live.add(address);
        else r.live.delete(address);
        rebalance(r);
      },
    });
    r.conns.set(address, conn);
  }
}

export function createPodRouter(options: PodRouterOptions): PodRouter {
  if (options.pods.length === 0) throw new RangeError("an edge needs at least one pod");
  const r: RouterState = {
    rooms: new Map(),
    live: new Set(),
    conns: new Map(),
    logger: options.logger ?? createSilentLogger(),
    handleFrame: () => {},
    handleReset: () => {},
    closed: false,
  };
  let started = false;

  return {
    connect(onFrame, onReset) {
      if (started) throw new Error("a pod router serves one edge link");
      started = true;
      r.handleFrame = onFrame;
      r.handleReset = onReset;
      connectPods(r, options);
      return {
        send: (frame: EdgeFrame) => route(r, frame),
        get ready() {
          return !r.closed && r.live.size > 0;
        },
        close() {
          if (r.closed) return;
          r.closed = true;
          for (const conn of r.conns.values()) conn.close();
          r.live.clear();
          r.rooms.clear();
        },
      };
    },
    livePods: () => [...r.live],
    podOf: (roomId) => r.rooms.get(roomId),
    backlog() {
      let n = 0;
      for (const conn of r.conns.values()) n += conn.backlog;
      return n;
    },
  };
}
