// One OpenStream call from the edge to a pod (pod-connection.ts re-opens them):
// edge-id metadata, no deadline (the stream lives as long as the pod), a bounded
// write queue that honours write() = false (a pod that reads too slowly gets the
// stream cancelled, and so re-opened), and pod frames decoded by wire.ts.
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import { createWriteQueue, type WriteQueue } from "../limits/write-queue.js";
import type { PodFrame } from "../link/frames.js";
import {
  EDGE_ID_METADATA,
  type EdgeFrameMessage,
  type PodFrameMessage,
  type presencePodService,
} from "./proto.js";
import { podFrameFromMessage } from "./wire.js";

export type PodCall = grpc.ClientDuplexStream<EdgeFrameMessage, PodFrameMessage>;
type PodClient = InstanceType<ReturnType<typeof presencePodService>>;

export interface PodStreamEvents {
  /** The pod sent its headers: the stream is up. */
  readonly onHeaders: () => void;
  readonly onFrame: (frame: PodFrame) => void;
  /** Status, error or end: the stream is gone (may fire more than once). */
  readonly onEnd: (reason: string) => void;
}

function payloadSize(m: EdgeFrameMessage): number {
  return (m.write?.entries.length ?? 0) + 32;
}

/** Status of a stream's end, as a reason for the log. */
function endReason(s: grpc.StatusObject): string {
  return s.code === grpc.status.OK ? "ended by the pod" : `${grpc.status[s.code]}: ${s.details}`;
}

export function openPodStream(
  client: PodClient,
  params: {
    readonly address: string;
    readonly edgeId: string;
    readonly logger: Logger;
    readonly maxQueuedBytes?: number;
  },
  events: PodStreamEvents,
): { readonly call: PodCall; readonly queue: WriteQueue<EdgeFrameMessage> } {
  const { address, logger } = params;
  const metadata = new grpc.Metadata();
  metadata.set(EDGE_ID_METADATA, params.edgeId);
  // No deadline: the stream lives as long as the pod does.
  const call: PodCall = client.OpenStream(metadata);
  const queue = createWriteQueue<EdgeFrameMessage>({
    stream: call,
    sizeOf: payloadSize,
    maxQueuedBytes: params.maxQueuedBytes,
    onOverflow: () => {
      logger.warn({ pod: address }, "pod reads too slowly; reopening the stream");
      call.cancel();
    },
  });
  call.on("metadata", events.onHeaders);
  call.on("data", (msg: PodFrameMessage) => {
    let frame: PodFrame;
    try {
      frame = podFrameFromMessage(msg);
    } catch (err) {
      logger.warn({ pod: address, err: (err as Error).message }, "malformed pod frame dropped");
      return;
    }
    events.onFrame(frame);
  });
  call.on("status", (s: grpc.StatusObject) => events.onEnd(endReason(s)));
  call.on("error", (err: Error) => events.onEnd(err.message));
  call.on("end", () => events.onEnd("ended"));
  return { call, queue };
}
