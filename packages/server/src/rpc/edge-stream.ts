// One edge's OpenStream call on the pod's gRPC server (pod-rpc-server.ts): one
// PodSession of the pod. Frames are converted by wire.ts; outbound frames go
// through a bounded write queue that honours write() = false; SyncRequests pass a
// per-stream rate limiter (limits/sync-limiter.ts). An edge that reads too slowly
// or queues too many sync requests loses its stream (RESOURCE_EXHAUSTED).
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import { createSyncLimiter } from "../limits/sync-limiter.js";
import type { TokenBucketSpec } from "../limits/token-bucket.js";
import { createWriteQueue, type WriteQueue } from "../limits/write-queue.js";
import type { PodEndpoint, PodFrame } from "../link/frames.js";
import type { Clock } from "../ops/clock.js";
import { EDGE_ID_METADATA, type EdgeFrameMessage, type PodFrameMessage } from "./proto.js";
import { edgeFrameFromMessage } from "./wire.js";

export type EdgeCall = grpc.ServerDuplexStream<EdgeFrameMessage, PodFrameMessage>;

/** What every stream of one server shares. */
export interface EdgeStreamContext {
  readonly endpoint: PodEndpoint;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly syncRate: TokenBucketSpec | undefined;
  readonly maxQueuedBytes: number | undefined;
  /** Open streams and their write queues (for the backlog gauge and shutdown). */
  readonly streams: Map<EdgeCall, WriteQueue<PodFrameMessage>>;
  /** One message per pod frame, shared by every edge it goes to. */
  readonly toMessage: (frame: PodFrame) => PodFrameMessage;
  /** True once the server is shutting down. */
  readonly closing: () => boolean;
}

function payloadSize(m: PodFrameMessage): number {
  return (m.update?.entries.length ?? 0) + (m.snapshotChunk?.entries.length ?? 0) + 32;
}

export function serveEdgeStream(ctx: EdgeStreamContext, call: EdgeCall): void {
  const { logger } = ctx;
  const edgeId = String(call.metadata.get(EDGE_ID_METADATA)[0] ?? call.getPeer());
  let open = true;
  const fail = (code: grpc.status, details: string): void => {
    logger.warn({ edgeId, details }, "ending edge stream");
    finish();
    call.emit("error", { code, details });
  };
  const queue = createWriteQueue<PodFrameMessage>({
    stream: call,
    sizeOf: payloadSize,
    maxQueuedBytes: ctx.maxQueuedBytes,
    onOverflow: () => fail(grpc.status.RESOURCE_EXHAUSTED, "edge reads too slowly"),
  });
  const limiter = createSyncLimiter({ rate: ctx.syncRate, timers: ctx.clock });
  ctx.streams.set(call, queue);
  const session = ctx.endpoint.openSession(edgeId, (frame) => {
    if (open) queue.push(ctx.toMessage(frame));
  });
  function finish(): void {
    if (!open) return;
    open = false;
    ctx.streams.delete(call);
    queue.close();
    limiter.close();
    // A pod shutting down keeps its sessions' connections (no expiry: they live on
    // through the pod the edges move to); an edge that went away takes them along.
    if (!ctx.closing()) session.close();
    logger.info({ edgeId }, "edge stream closed");
  }
  // Headers at once: the edge treats the stream as up when they arrive.
  call.sendMetadata(new grpc.Metadata());
  logger.info({ edgeId }, "edge stream opened");

  call.on("data", (msg: EdgeFrameMessage) => {
    if (!open) return;
    let frame: ReturnType<typeof edgeFrameFromMessage>;
    try {
      frame = edgeFrameFromMessage(msg);
    } catch (err) {
      logger.warn({ edgeId, err: (err as Error).message }, "malformed edge frame dropped");
      return;
    }
    if (frame.type !== "sync-request") return session.receive(frame);
    const ok = limiter.submit(() => {
      if (open) session.receive(frame);
    });
    if (!ok) fail(grpc.status.RESOURCE_EXHAUSTED, "too many waiting sync requests");
  });
  call.on("end", () => {
    // The edge half-closed (it is shutting down): finish our side too.
    finish();
    call.end();
  });
  call.on("cancelled", finish);
  call.on("error", finish);
  call.on("close", finish);
}
