// The pod's gRPC side (docs/ARCHITECTURE.md#the-grpc-link-protopresenceproto-rpc): a grpc-js Server hosting a PodEndpoint. Each
// OpenStream call from an edge is one PodSession; frames are converted by wire.ts.
// Outbound frames go through a bounded write queue that honours write() = false;
// SyncRequests pass a per-stream rate limiter. Keepalive pings from edges are
// permitted (they find a dead pod within 2 s), and the pod pings its edges the
// same way so that a dead edge's connections expire within ~2 s + the bus sweep.
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import { createSyncLimiter } from "../limits/sync-limiter.js";
import type { TokenBucketSpec } from "../limits/token-bucket.js";
import { createWriteQueue, type WriteQueue } from "../limits/write-queue.js";
import type { PodEndpoint, PodFrame } from "../link/frames.js";
import { createSilentLogger } from "../ops/logger.js";
import {
  EDGE_ID_METADATA,
  type EdgeFrameMessage,
  type PodFrameMessage,
  presencePodService,
} from "./proto.js";
import { edgeFrameFromMessage, podFrameToMessage } from "./wire.js";

/** Server keepalive: ping each edge this often and drop it after this long without an answer, ms. */
export const POD_KEEPALIVE_MS = 1000;
/** How long close() lets streams finish after ending them before cutting them, ms. */
const SHUTDOWN_GRACE_MS = 1000;

/** Channel options of the pod's server. */
export const POD_SERVER_OPTIONS: grpc.ChannelOptions = {
  "grpc.keepalive_time_ms": POD_KEEPALIVE_MS,
  "grpc.keepalive_timeout_ms": POD_KEEPALIVE_MS,
  // Edges ping every second even when idle: allow it. The two http2 options are
  // C-core's ping policing (grpc-js does not police pings; they document intent
  // and keep a C-core-based peer from answering GOAWAY too_many_pings).
  "grpc.keepalive_permit_without_calls": 1,
  "grpc.http2.min_ping_interval_without_data_ms": 500,
  "grpc.http2.max_ping_strikes": 0,
};

export interface PodRpcServerOptions {
  readonly endpoint: PodEndpoint;
  /** Interface to bind (default 0.0.0.0). */
  readonly host?: string;
  /** gRPC port (`--grpc-port`); 0 = a free port. */
  readonly port: number;
  readonly logger?: Logger;
  /** SyncRequests per second and burst, per stream (default 200/s, burst 500). */
  readonly syncRate?: TokenBucketSpec;
  /** Bound of frames waiting behind a paused stream, bytes (default 32 MB). */
  readonly maxQueuedBytes?: number;
}

export interface PodRpcServer {
  /** The bound gRPC port. */
  readonly port: number;
  /** Open edge streams. */
  readonly streams: number;
  /** Frames waiting behind paused streams (for the backlog gauge). */
  backlog(): number;
  /** Ends every stream (edges move their rooms elsewhere), then stops the server. */
  close(): Promise<void>;
}

type Call = grpc.ServerDuplexStream<EdgeFrameMessage, PodFrameMessage>;

function payloadSize(m: PodFrameMessage): number {
  return (m.update?.entries.length ?? 0) + (m.snapshotChunk?.entries.length ?? 0) + 32;
}

export async function createPodRpcServer(options: PodRpcServerOptions): Promise<PodRpcServer> {
  const { endpoint } = options;
  const logger = options.logger ?? createSilentLogger();
  const server = new grpc.Server(POD_SERVER_OPTIONS);
  const streams = new Map<Call, WriteQueue<PodFrameMessage>>();
  // The pod sends one update frame object to every attached edge: encode it once.
  const encoded = new WeakMap<PodFrame, PodFrameMessage>();
  const toMessage = (frame: PodFrame): PodFrameMessage => {
    let msg = encoded.get(frame);
    if (!msg) {
      msg = podFrameToMessage(frame);
      encoded.set(frame, msg);
    }
    return msg;
  };

  const openStream = (call: Call): void => {
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
      maxQueuedBytes: options.maxQueuedBytes,
      onOverflow: () => fail(grpc.status.RESOURCE_EXHAUSTED, "edge reads too slowly"),
    });
    const limiter = createSyncLimiter({ rate: options.syncRate });
    streams.set(call, queue);
    const session = endpoint.openSession(edgeId, (frame) => {
      if (open) queue.push(toMessage(frame));
    });
    function finish(): void {
      if (!open) return;
      open = false;
      streams.delete(call);
      queue.close();
      limiter.close();
      // A pod shutting down keeps its sessions' connections (no expiry: they live on
      // through the pod the edges move to); an edge that went away takes them along.
      if (!closing) session.close();
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
  };

  const service = presencePodService().service;
  server.addService(service, { OpenStream: openStream });
  const host = options.host ?? "0.0.0.0";
  const target = host.includes(":") ? `[${host}]:${options.port}` : `${host}:${options.port}`;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (err) reject(err);
      else resolve(bound);
    });
  });

  let closed: Promise<void> | undefined;
  let closing = false;
  return {
    port,
    get streams() {
      return streams.size;
    },
    backlog() {
      let n = 0;
      for (const q of streams.values()) n += q.queued;
      return n;
    },
    close() {
      closing = true;
      closed ??= new Promise<void>((resolve) => {
        for (const call of [...streams.keys()]) call.end();
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, SHUTDOWN_GRACE_MS);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      return closed;
    },
  };
}
