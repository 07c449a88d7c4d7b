// The pod's gRPC side (docs/ARCHITECTURE.md#the-grpc-link-protopresenceproto-rpc): a grpc-js Server hosting a PodEndpoint. Each
// OpenStream call from an edge is one PodSession (edge-stream.ts: frames, the
// bounded write queue, the per-stream SyncRequest limiter). Keepalive pings from edges are
// permitted (they find a dead pod within 2 s), and the pod pings its edges the
// same way so that a dead edge's connections expire within ~2 s + the bus sweep.
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { TokenBucketSpec } from "../limits/token-bucket.js";
import type { WriteQueue } from "../limits/write-queue.js";
import type { PodEndpoint, PodFrame } from "../link/frames.js";
import { type Clock, systemClock } from "../ops/clock.js";
import { createSilentLogger } from "../ops/logger.js";
import { type EdgeCall, serveEdgeStream } from "./edge-stream.js";
import { type PodFrameMessage, presencePodService } from "./proto.js";
import { podFrameToMessage } from "./wire.js";

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
  /** Timers of the sync limiter and the shutdown grace; default the system clock. */
  readonly clock?: Clock;
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

/** The pod sends one update frame object to every attached edge: encode it once. */
function encodeOnce(): (frame: PodFrame) => PodFrameMessage {
  const encoded = new WeakMap<PodFrame, PodFrameMessage>();
  return (frame) => {
    let msg = encoded.get(frame);
    if (!msg) {
      msg = podFrameToMessage(frame);
      encoded.set(frame, msg);
    }
    return msg;
  };
}

function bind(server: grpc.Server, host: string, port: number): Promise<number> {
  const target = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise<number>((resolve, reject) => {
    server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (err) reject(err);
      else resolve(bound);
    });
  });
}

/** Ends every stream, then stops; streams not done within SHUTDOWN_GRACE_MS are cut. */
function shutdown(server: grpc.Server, streams: Iterable<EdgeCall>, clock: Clock): Promise<void> {
  return new Promise<void>((resolve) => {
    for (const call of [...streams]) call.end();
    const force = clock.setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, SHUTDOWN_GRACE_MS);
    server.tryShutdown(() => {
      clock.clearTimeout(force);
      resolve();
    });
  });
}

export async function createPodRpcServer(options: PodRpcServerOptions): Promise<PodRpcServer> {
  const clock = options.clock ?? systemClock;
  const server = new grpc.Server(POD_SERVER_OPTIONS);
  const streams = new Map<EdgeCall, WriteQueue<PodFrameMessage>>();
  let closing = false;
  const ctx = {
    endpoint: options.endpoint,
    logger: options.logger ?? createSilentLogger(),
    clock,
    syncRate: options.syncRate,
    maxQueuedBytes: options.maxQueuedBytes,
    streams,
    toMessage: encodeOnce(),
    closing: () => closing,
  };
  server.addService(presencePodService().service, {
    OpenStream: (call: EdgeCall) => serveEdgeStream(ctx, call),
  });
  const port = await bind(server, options.host ?? "0.0.0.0", options.port);

  let closed: Promise<void> | undefined;
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
      closed ??= shutdown(server, streams.keys(), clock);
      return closed;
    },
  };
}
