// The edge's stream to one pod (docs/ARCHITECTURE.md#the-grpc-link-protopresenceproto-rpc), as a small state machine:
//
//   connecting ──headers──▶ up ──error/end──▶ waiting ──backoff──▶ connecting
//        └──────────error/end─────────────────────▲          (closed: terminal)
//
// The stream has no deadline (it lives as long as the pod). The channel pings the
// pod every second and gives up after one more second without an answer, so a
// dead or cut-off pod is found within 2 s even when no frame is moving; a refused
// or reset connection is found at once. Reconnects follow RECONNECT_BACKOFF_MS
// (capped at 2 s, with jitter) both in grpc-js's channel and in our own re-open
// loop, which is needed because a failed stream is never reopened by grpc-js.
// Writes of one room made in the same event-loop turn go out as one Write frame.

import { type BackoffSchedule, type BatchEntry, backoffDelay } from "@collabblocks/protocol";
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import { createWriteQueue, type WriteQueue } from "../limits/write-queue.js";
import type { EdgeFrame, PodFrame } from "../link/frames.js";
import { createSilentLogger } from "../ops/logger.js";
import {
  EDGE_ID_METADATA,
  type EdgeFrameMessage,
  type PodFrameMessage,
  presencePodService,
} from "./proto.js";
import { edgeFrameToMessage, podFrameFromMessage } from "./wire.js";

/** Delays before re-opening a failed stream, ms; the last one repeats (docs/ARCHITECTURE.md#the-grpc-link-protopresenceproto-rpc: capped near 2 s). */
export const RECONNECT_BACKOFF_MS: readonly number[] = [100, 250, 500, 1000, 2000];
/** The stream's reconnect schedule: RECONNECT_BACKOFF_MS ± 20 % (the protocol's one backoff function). */
export const POD_RECONNECT_BACKOFF: BackoffSchedule = { delaysMs: RECONNECT_BACKOFF_MS, jitter: 0.2 };
/** Keepalive ping interval and the wait for its answer, ms: a dead pod is found within their sum. */
export const EDGE_KEEPALIVE_MS = 1000;
/** Most entries in one Write frame (entries are ≤ ~2.1 KB, so a frame stays ≤ ~210 KB). */
export const MAX_ENTRIES_PER_WRITE = 100;

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

export type PodConnectionState = "connecting" | "up" | "waiting" | "closed";

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

type Call = grpc.ClientDuplexStream<EdgeFrameMessage, PodFrameMessage>;

function payloadSize(m: EdgeFrameMessage): number {
  return (m.write?.entries.length ?? 0) + 32;
}

export function createPodConnection(options: PodConnectionOptions): PodConnection {
  const { address, edgeId } = options;
  const logger = options.logger ?? createSilentLogger();
  const Client = presencePodService();
  const client = new Client(address, grpc.credentials.createInsecure(), EDGE_CHANNEL_OPTIONS);
  let state: PodConnectionState = "connecting";
  let call: Call | undefined;
  let queue: WriteQueue<EdgeFrameMessage> | undefined;
  let attempt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  // Writes of this turn, per room, in first-write order (flushed before any other frame).
  const writes = new Map<string, BatchEntry[]>();
  let flushScheduled = false;

  const write = (frame: EdgeFrame): void => {
    queue?.push(edgeFrameToMessage(frame));
  };

  const flushWrites = (): void => {
    flushScheduled = false;
    if (writes.size === 0) return;
    const pending = [...writes];
    writes.clear();
    if (state !== "up") return;
    for (const [roomId, entries] of pending) {
      for (let i = 0; i < entries.length; i += MAX_ENTRIES_PER_WRITE) {
        write({ type: "write", roomId, entries: entries.slice(i, i + MAX_ENTRIES_PER_WRITE) });
      }
    }
  };

  const down = (current: Call, reason: string): void => {
    if (call !== current) return;
    call = undefined;
    queue?.close();
    queue = undefined;
    writes.clear();
    const wasUp = state === "up";
    if (state === "closed") return;
    state = "waiting";
    const delay = Math.round(backoffDelay(POD_RECONNECT_BACKOFF, attempt++, Math.random));
    if (wasUp) logger.warn({ pod: address, reason }, "pod stream down");
    else logger.debug({ pod: address, reason, delay }, "pod stream not up");
    retryTimer = setTimeout(open, delay);
    retryTimer.unref();
    if (wasUp) options.onStatus(false);
  };

  function open(): void {
    retryTimer = undefined;
    if (state === "closed") return;
    state = "connecting";
    const metadata = new grpc.Metadata();
    metadata.set(EDGE_ID_METADATA, edgeId);
    // No deadline: the stream lives as long as the pod does.
    const current = client.OpenStream(metadata);
    call = current;
    queue = createWriteQueue<EdgeFrameMessage>({
      stream: current,
      sizeOf: payloadSize,
      maxQueuedBytes: options.maxQueuedBytes,
      onOverflow: () => {
        logger.warn({ pod: address }, "pod reads too slowly; reopening the stream");
        current.cancel();
      },
    });
    current.on("metadata", () => {
      if (call !== current || state !== "connecting") return;
      state = "up";
      attempt = 0;
      logger.info({ pod: address }, "pod stream up");
      options.onStatus(true);
    });
    current.on("data", (msg: PodFrameMessage) => {
      if (call !== current) return;
      let frame: PodFrame;
      try {
        frame = podFrameFromMessage(msg);
      } catch (err) {
        logger.warn({ pod: address, err: (err as Error).message }, "malformed pod frame dropped");
        return;
      }
      options.onFrame(frame);
    });
    current.on("status", (s: grpc.StatusObject) =>
      down(current, s.code === grpc.status.OK ? "ended by the pod" : `${grpc.status[s.code]}: ${s.details}`),
    );
    current.on("error", (err: Error) => down(current, err.message));
    current.on("end", () => down(current, "ended"));
  }

  open();

  return {
    address,
    get state() {
      return state;
    },
    send(frame) {
      if (state !== "up") return false;
      if (frame.type === "write") {
        const list = writes.get(frame.roomId);
        if (list) for (const e of frame.entries) list.push(e);
        else writes.set(frame.roomId, [...frame.entries]);
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flushWrites);
        }
        return true;
      }
      flushWrites(); // keep the order of this room's writes and its other frames
      write(frame);
      return true;
    },
    get backlog() {
      return (queue?.queued ?? 0) + writes.size;
    },
    close() {
      if (state === "closed") return;
      const wasUp = state === "up";
      flushWrites();
      state = "closed";
      if (retryTimer) clearTimeout(retryTimer);
      const current = call;
      call = undefined;
      queue = undefined;
      if (current) {
        // Half-close: the pod ends its side (and its session) after what we sent.
        current.end();
        setTimeout(() => current.cancel(), 1000).unref();
      }
      client.close();
      if (wasUp) options.onStatus(false);
    },
  };
}
