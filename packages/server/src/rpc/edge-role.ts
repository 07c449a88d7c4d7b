// An edge process of split mode (`collabblocks edge`, BRIEF §2): the WebSocket
// gateway of dev/serve (edge/), but its link goes over gRPC to the pods of
// `--pods` (grpc-link.ts) instead of to a pod in the same process. HTTP on
// `--port` carries the WebSockets, /healthz, /readyz and /metrics. /readyz is 200
// only while at least one pod's stream is up: with none, joins would wait.
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ErrorCode } from "@collabblocks/protocol";
import type { Logger } from "pino";
import { createTokenVerifier, type TokenClaims } from "../edge/auth.js";
import { createEdge, type Edge } from "../edge/edge.js";
import { createShadowMirror, type ShadowOptions } from "../edge/shadow.js";
import { createHttpHandler } from "../ops/http.js";
import { createSilentLogger } from "../ops/logger.js";
import { createMetrics, type Metrics } from "../ops/metrics.js";
import { defaultPodId } from "../server.js";
import { createGrpcEdgeLink, type GrpcEdgeLink } from "./grpc-link.js";
import { routeGrpcLogs } from "./proto.js";

export interface EdgeRoleOptions {
  /** HTTP + WebSocket port; 0 = a free port. */
  readonly port?: number;
  /** Interface to bind (default 127.0.0.1 here; the CLI passes 0.0.0.0). */
  readonly host?: string;
  readonly jwksUrl: string;
  /** host:port of every pod's gRPC server (`--pods`). */
  readonly pods: readonly string[];
  /** This edge's id, shown to pods (default host-pid-start time). */
  readonly edgeId?: string;
  readonly tickMs?: number;
  readonly maxRoomConnections?: number;
  readonly maxConnsPerIp?: number;
  readonly denyIps?: readonly string[];
  readonly heartbeatMs?: number;
  readonly authorize?: (claims: TokenClaims) => ErrorCode | undefined;
  readonly logger?: Logger;
  readonly defaultMetrics?: boolean;
  /** Mirror local clients' accepted presence to a staging deployment (`--shadow-to`); default: off. */
  readonly shadow?: ShadowOptions;
}

export interface EdgeRole {
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  readonly edgeId: string;
  readonly edge: Edge;
  readonly link: GrpcEdgeLink;
  readonly metrics: Metrics;
  readonly httpServer: Server;
  setDenyList(cidrs: readonly string[]): void;
  /** SERVER_SHUTTING_DOWN + 1012 to every socket, then closes the pod streams. */
  close(): Promise<void>;
}

function displayHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

export async function createEdgeRole(options: EdgeRoleOptions): Promise<EdgeRole> {
  const logger = options.logger ?? createSilentLogger();
  routeGrpcLogs(logger);
  const edgeId = options.edgeId ?? defaultPodId();
  const verifier = createTokenVerifier({ keys: { jwksUrl: options.jwksUrl }, authorize: options.authorize });
  const link = createGrpcEdgeLink({ pods: options.pods, edgeId, logger });
  let edge: Edge | undefined;
  const metrics = createMetrics(
    {
      connections: () => edge?.connections ?? 0,
      rooms: () => edge?.rooms ?? 0,
      backlog: () => (edge?.backlog() ?? 0) + link.router.backlog(),
      evictions: () => 0, // the LRU of rooms is the pods'
    },
    { defaultMetrics: options.defaultMetrics },
  );
  const shadow = options.shadow
    ? createShadowMirror(options.shadow, { stats: metrics.stats, logger })
    : undefined;
  edge = createEdge({
    link,
    verifier,
    metrics,
    logger,
    tickMs: options.tickMs,
    maxRoomConnections: options.maxRoomConnections,
    maxConnsPerIp: options.maxConnsPerIp,
    denyIps: options.denyIps,
    heartbeatMs: options.heartbeatMs,
    observer: shadow,
  });
  const liveEdge = edge;
  let closing = false;
  let listening = false;
  const httpServer = createServer(
    createHttpHandler({ metrics, ready: () => listening && !closing && link.ready, logger }),
  );
  httpServer.on("upgrade", (req, socket, head) => liveEdge.handleUpgrade(req, socket, head));
  httpServer.on("clientError", (_err, socket) => socket.destroy());
  const host = options.host ?? "127.0.0.1";
  httpServer.listen(options.port ?? 0, host);
  try {
    await once(httpServer, "listening");
  } catch (err) {
    link.close();
    throw err;
  }
  listening = true;
  const port = (httpServer.address() as AddressInfo).port;
  const shown = displayHost(host);

  let closed: Promise<void> | undefined;
  return {
    url: `http://${shown}:${port}`,
    wsUrl: `ws://${shown}:${port}`,
    port,
    edgeId,
    edge: liveEdge,
    link,
    metrics,
    httpServer,
    setDenyList: (cidrs) => liveEdge.setDenyList(cidrs),
    close() {
      closed ??= (async () => {
        closing = true;
        const httpClosed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        await liveEdge.close(); // closes the link too
        shadow?.close();
        httpServer.closeAllConnections();
        await httpClosed;
      })();
      return closed;
    },
  };
}
