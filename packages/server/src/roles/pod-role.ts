// A pod process of split mode (`collabblocks pod`, docs/OPERATIONS.md#running-modes): the pod (room
// state, Redis bus) behind a gRPC server for edges on `--grpc-port`, and HTTP on
// `--port` for /healthz, /readyz and /metrics only (no WebSockets: those are the
// edges'), /metrics moving to the admin port when one is given (docs/OPERATIONS.md#admin-port).
// Ready = the gRPC server is bound and the process is not shutting down.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { msgpackrBackend, useMsgpack } from "@collabblocks/protocol";
import type { Logger } from "pino";
import type { PresenceBus } from "../bus/bus.js";
import { createWorkerLink, type WorkerLinkOptions } from "../link/worker-link.js";
import { type AdminOptions, type AdminServer, listenWithAdmin } from "../ops/admin-server.js";
import { type Clock, systemClock } from "../ops/clock.js";
import { createHttpHandler, displayHost } from "../ops/http.js";
import { createSilentLogger } from "../ops/logger.js";
import { createMetrics, type Metrics } from "../ops/metrics.js";
import { defaultPodId } from "../ops/process-id.js";
import { createPod, type Pod } from "../pod/pod.js";
import { createPodRpcServer, type PodRpcServer } from "../rpc/pod-rpc-server.js";
import { routeGrpcLogs } from "../rpc/proto.js";

export interface PodRoleOptions {
  /** HTTP port for health and metrics; 0 = a free port. */
  readonly port?: number;
  /** gRPC port for edges (`--grpc-port`); 0 = a free port. */
  readonly grpcPort: number;
  /** Interface for both (default 127.0.0.1 here; the CLI passes 0.0.0.0). */
  readonly host?: string;
  readonly podId?: string;
  readonly maxRooms?: number;
  /** Shares rooms with the other pods (Redis in production). */
  readonly bus?: PresenceBus;
  readonly logger?: Logger;
  readonly defaultMetrics?: boolean;
  /** /metrics on its own server, 404 on `port`; default none (the CLI's: 9464 on 127.0.0.1). */
  readonly admin?: AdminOptions;
  /** Time of the pod and its gRPC server (CONTRIBUTING.md "Time"); default the system clock. */
  readonly clock?: Clock;
  /** Serve Durable Object edges too (docs/EDGE-WORKERS.md#the-pod-link); default none. */
  readonly workerLink?: WorkerLinkOptions;
}

export interface PodRole {
  /** http://host:port of the health endpoints (and of /metrics without an admin port). */
  readonly url: string;
  readonly port: number;
  /** Where /metrics is served: the admin server's, or `${url}/metrics` without one. */
  readonly metricsUrl: string;
  readonly grpcPort: number;
  /** host:port edges list in `--pods`. */
  readonly grpcAddress: string;
  readonly podId: string;
  readonly pod: Pod;
  readonly rpc: PodRpcServer;
  readonly metrics: Metrics;
  readonly httpServer: Server;
  /** Ends the edges' streams (they move the rooms to other pods), then stops. */
  close(): Promise<void>;
}

export async function createPodRole(options: PodRoleOptions): Promise<PodRole> {
  useMsgpack(msgpackrBackend); // the faster MsgPack on the hot path (protocol msgpack.ts)
  const logger = options.logger ?? createSilentLogger();
  routeGrpcLogs(logger);
  const podId = options.podId ?? defaultPodId();
  const host = options.host ?? "127.0.0.1";
  const clock = options.clock ?? systemClock;
  const pod = createPod({
    podId,
    maxRooms: options.maxRooms,
    bus: options.bus,
    clock,
    onError: (err, context) => logger.error({ err, context }, "pod error"),
  });
  const rpc = await createPodRpcServer({ endpoint: pod, host, port: options.grpcPort, logger, clock });
  const metrics = createMetrics(
    {
      connections: () => 0, // WebSockets live on the edges
      rooms: () => pod.manager.size,
      backlog: () => rpc.backlog(),
      evictions: () => pod.manager.evictions,
      redisLag: () => options.bus?.lag?.() ?? 0,
    },
    { defaultMetrics: options.defaultMetrics },
  );
  let closing = false;
  const http = createHttpHandler({
    metrics: options.admin ? undefined : metrics,
    ready: () => !closing,
    logger,
    placeholder: false,
  });
  const workerLink = options.workerLink && createWorkerLink(pod, options.workerLink, logger);
  const httpServer = createServer((req, res) => {
    if (!workerLink?.handle(req, res)) http(req, res);
  });
  httpServer.on("upgrade", (_req, socket) => socket.destroy());
  httpServer.on("clientError", (_err, socket) => socket.destroy());
  let admin: AdminServer | undefined;
  try {
    const adminOptions = options.admin && { ...options.admin, metrics, logger };
    admin = await listenWithAdmin(httpServer, { port: options.port ?? 0, host }, adminOptions);
  } catch (err) {
    await rpc.close();
    await pod.close();
    throw err;
  }
  const port = (httpServer.address() as AddressInfo).port;
  const shown = displayHost(host);

  let closed: Promise<void> | undefined;
  return {
    url: `http://${shown}:${port}`,
    port,
    metricsUrl: admin?.metricsUrl ?? `http://${shown}:${port}/metrics`,
    grpcPort: rpc.port,
    grpcAddress: `${shown}:${rpc.port}`,
    podId,
    pod,
    rpc,
    metrics,
    httpServer,
    close() {
      closed ??= (async () => {
        closing = true;
        workerLink?.close();
        await rpc.close();
        const httpClosed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        httpServer.closeAllConnections();
        await Promise.all([httpClosed, admin?.close()]);
        await pod.close();
      })();
      return closed;
    },
  };
}
