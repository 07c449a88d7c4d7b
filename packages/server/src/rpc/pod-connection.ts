// The edge's stream to one pod (docs/ARCHITECTURE.md#the-grpc-link-protopresenceproto-rpc):
// the state machine of pod-link-state.ts driving gRPC streams.
//
// The stream has no deadline (it lives as long as the pod). The channel pings the
// pod every second and gives up after one more second without an answer, so a
// dead or cut-off pod is found within 2 s even when no frame is moving; a refused
// or reset connection is found at once. Reconnects follow RECONNECT_BACKOFF_MS
// (capped at 2 s, with jitter) both in grpc-js's channel and in our own re-open
// loop, which is needed because a failed stream is never reopened by grpc-js.
// Writes of one room made in the same event-loop turn go out as one Write frame
// (pod-write-batch.ts).

import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { WriteQueue } from "../limits/write-queue.js";
import type { EdgeFrame, PodFrame } from "../link/frames.js";
import { type Clock, systemClock } from "../ops/clock.js";
import { createSilentLogger } from "../ops/logger.js";
import { createPodLinkState, type PodConnectionState } from "./pod-link-state.js";
import { openPodStream, type PodCall } from "./pod-stream.js";
import { createWriteBatch } from "./pod-write-batch.js";
import { type EdgeFrameMessage, presencePodService } from "./proto.js";
import { edgeFrameToMessage } from "./wire.js";

export { POD_RECONNECT_BACKOFF, type PodConnectionState, RECONNECT_BACKOFF_MS } from "./pod-link-state.js";
export { MAX_ENTRIES_PER_WRITE } from "./pod-write-batch.js";

/** Keepalive ping interval and the wait for its answer, ms: a dead pod is found within their sum. */
export const EDGE_KEEPALIVE_MS = 1000;
/** After close() half-closes the stream, the pod has this long to end its side before we cancel, ms. */
export const CLOSE_GRACE_MS = 1000;

/** Channel options of an edge's client to one pod. */
export const EDGE_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  "grpc.keepalive_time_ms": EDGE_KEEPALIVE_MS,
  "grpc.keepalive_timeout_ms": EDGE_KEEPALIVE_MS,
  "grpc.keepalive_permit_without_calls": 1,
  "grpc.initial_reconnect_backoff_ms": 200,
  "grpc.max_reconnect_backoff_ms": 2000,
  // A pod is one process: no retries or load balancing inside the channel.
  "grpc.enable_retries": 0,
  // Each connection its own subchannel, so edges sharing a process (tests) do not share a socket.
  "grpc.use_local_subchannel_pool": 1,
};

export interface PodConnectionOptions {
  /** host:port of the pod's gRPC server. */
  readonly address: string;
  readonly edgeId: string;
  readonly onFrame: (frame: PodFrame) => void;
  /** The stream came up (true) or went down (false). */
  readonly onStatus: (up: boolean) => void;
  readonly logger?: Logger;
  /** Bound of frames waiting behind a paused stream, bytes (default 32 MB). */
  readonly maxQueuedBytes?: number;
  /** Timers of the re-open backoff and the close grace; default the system clock. */
  readonly clock?: Clock;
}

export interface PodConnection {
  readonly address: string;
  readonly state: PodConnectionState;
  /** Sends a frame if the stream is up; returns false (frame dropped) otherwise. */
  send(frame: EdgeFrame): boolean;
  /** Frames waiting behind a paused stream. */
  readonly backlog: number;
  close(): void;
}

export function createPodConnection(options: PodConnectionOptions): PodConnection {
  const { address, edgeId } = options;
  const logger = options.logger ?? createSilentLogger();
  const clock = options.clock ?? systemClock;
  const Client = presencePodService();
  const client = new Client(address, grpc.credentials.createInsecure(), EDGE_CHANNEL_OPTIONS);
  let call: PodCall | undefined;
  let queue: WriteQueue<EdgeFrameMessage> | undefined;
  const write = (frame: EdgeFrame): void => queue?.push(edgeFrameToMessage(frame));
  const writes = createWriteBatch(write, () => link.state === "up");

  const openStream = (attempt: number): void => {
    const opened = openPodStream(
      client,
      { address, edgeId, logger, maxQueuedBytes: options.maxQueuedBytes },
      {
        onHeaders: () => link.up(attempt),
        onFrame(frame) {
          if (link.isCurrent(attempt)) options.onFrame(frame);
        },
        onEnd: (reason) => link.down(attempt, reason),
      },
    );
    call = opened.call;
    queue = opened.queue;
  };

  const link = createPodLinkState({
    clock,
    open: openStream,
    onUp() {
      logger.info({ pod: address }, "pod stream up");
      options.onStatus(true);
    },
    onDown(reason, wasUp, delay) {
      call = undefined;
      queue?.close();
      queue = undefined;
      writes.clear();
      if (wasUp) logger.warn({ pod: address, reason }, "pod stream down");
      else logger.debug({ pod: address, reason, delay }, "pod stream not up");
      if (wasUp) options.onStatus(false);
    },
  });

  return {
    address,
    get state() {
      return link.state;
    },
    send(frame) {
      if (link.state !== "up") return false;
      if (frame.type === "write") writes.add(frame);
      else {
        writes.flush(); // keep the order of this room's writes and its other frames
        write(frame);
      }
      return true;
    },
    get backlog() {
      return (queue?.queued ?? 0) + writes.rooms;
    },
    close() {
      if (link.state === "closed") return;
      writes.flush();
      const wasUp = link.close();
      const current = call;
      call = undefined;
      queue = undefined;
      if (current) {
        // Half-close: the pod ends its side (and its session) after what we sent.
        current.end();
        clock.setTimeout(() => current.cancel(), CLOSE_GRACE_MS);
      }
      client.close();
      if (wasUp) options.onStatus(false);
    },
  };
}
