// createPresenceServer: one process running edge + pod (dev and single modes of
// BRIEF §2), usable in-process by tests and benchmarks. The edge talks to the pod
// through the in-process link; the pod shares rooms through an optional bus
// (several servers on one memory bus hub form a cluster inside one process).
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import type { ErrorCode } from "@collabblocks/protocol";
import type { Logger } from "pino";
import type { PresenceBus } from "./bus/bus.js";
import { createTokenVerifier, type TokenClaims } from "./edge/auth.js";
import { createDevIssuer, type DevIssuer } from "./edge/dev-issuer.js";
import { createEdge, type Edge } from "./edge/edge.js";
import { createShadowMirror, type ShadowOptions } from "./edge/shadow.js";
import { createInProcessLink } from "./link/in-process.js";
import { createHttpHandler } from "./ops/http.js";
import { createSilentLogger } from "./ops/logger.js";
import { createMetrics, type Metrics } from "./ops/metrics.js";
import { createPod, type Pod } from "./pod/pod.js";

export interface PresenceServerOptions {
  /** TCP port; 0 (default here) = a free port. The CLI defaults to 8787. */
  readonly port?: number;
  /** Interface to bind (default 127.0.0.1). */
  readonly host?: string;
  /**
   * Token keys: `{ jwksUrl }` (serve) or `"dev"`: an ephemeral ES256 key, its JWKS at
   * `/.well-known/jwks.json` and `POST /v1/dev/token`.
   */
  readonly auth: { readonly jwksUrl: string } | "dev";
  readonly tickMs?: number;
  readonly maxRooms?: number;
  readonly maxRoomConnections?: number;
  readonly maxConnsPerIp?: number;
  readonly denyIps?: readonly string[];
  /** Directory served at `/`. */
  readonly staticDir?: string;
  /** Serve the placeholder page at `/` when there is no static dir (dev). */
  readonly placeholderPage?: boolean;
  readonly logger?: Logger;
  /** Shares rooms with other servers (scaled mode); default: none. */
  readonly bus?: PresenceBus;
  /** Pod id (default: host-pid-start time, unique per process). */
  readonly podId?: string;
  /** Server ping interval, ms (default 2 000); tests of slow readers raise it. */
  readonly heartbeatMs?: number;
  /** How long a dropped connection stays visible awaiting a reconnect, ms (default 2 × heartbeat). */
  readonly ghostGraceMs?: number;
  /** Share of a core a room's flushes may use before they are spaced out (default 0.5). */
  readonly flushCpuShare?: number;
  /** Extra gate on verified tokens (plans/orgs rollout): return a code to refuse. */
  readonly authorize?: (claims: TokenClaims) => ErrorCode | undefined;
  /** Default process metrics (CPU, memory, event loop) in /metrics (default true). */
  readonly defaultMetrics?: boolean;
  /** Mirror local clients' accepted presence to a staging deployment (`--shadow-to`); default: off. */
  readonly shadow?: ShadowOptions;
}

export interface PresenceServer {
  /** e.g. http://127.0.0.1:8787 */
  readonly url: string;
  /** e.g. ws://127.0.0.1:8787 */
  readonly wsUrl: string;
  readonly port: number;
  readonly podId: string;
  readonly metrics: Metrics;
  /** Present in dev auth mode. */
  readonly devIssuer: DevIssuer | undefined;
  readonly edge: Edge;
  readonly pod: Pod;
  readonly httpServer: Server;
  /** Replaces the `--deny-ips` list (e.g. on SIGHUP). Throws RangeError on a bad entry. */
  setDenyList(cidrs: readonly string[]): void;
  /** Graceful stop: SERVER_SHUTTING_DOWN + 1012 to every socket, then closes everything. */
  close(): Promise<void>;
}

/** The default pod id: unique per process (host, pid, start time). */
export function defaultPodId(): string {
  return `${hostname()}-${process.pid}-${Date.now().toString(36)}`;
}

function displayHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

export async function createPresenceServer(options: PresenceServerOptions): Promise<PresenceServer> {
  const logger = options.logger ?? createSilentLogger();
  const podId = options.podId ?? defaultPodId();
  const devIssuer = options.auth === "dev" ? await createDevIssuer() : undefined;
  const verifier = createTokenVerifier({
    keys: devIssuer
      ? { getKey: devIssuer.getKey }
      : { jwksUrl: (options.auth as { jwksUrl: string }).jwksUrl },
    authorize: options.authorize,
  });
  const pod = createPod({
    podId,
    maxRooms: options.maxRooms,
    bus: options.bus,
    onError: (err, context) => logger.error({ err, context }, "pod error"),
  });
  const link = createInProcessLink(pod, `${podId}/edge`);
  let edge: Edge | undefined;
  const metrics = createMetrics(
    {
      connections: () => edge?.connections ?? 0,
      rooms: () => pod.manager.size,
      backlog: () => edge?.backlog() ?? 0,
      evictions: () => pod.manager.evictions,
      redisLag: () => options.bus?.lag?.() ?? 0,
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
    flushCpuShare: options.flushCpuShare,
    maxRoomConnections: options.maxRoomConnections,
    maxConnsPerIp: options.maxConnsPerIp,
    denyIps: options.denyIps,
    heartbeatMs: options.heartbeatMs,
    observer: shadow,
    ghostGraceMs: options.ghostGraceMs,
  });
  const liveEdge = edge;
  let closing = false;
  let listening = false;
  const httpServer = createServer(
    createHttpHandler({
      metrics,
      ready: () => listening && !closing && link.ready,
      devIssuer,
      staticDir: options.staticDir,
      placeholder: options.placeholderPage,
      logger,
    }),
  );
  httpServer.on("upgrade", (req, socket, head) => liveEdge.handleUpgrade(req, socket, head));
  httpServer.on("clientError", (_err, socket) => socket.destroy());

  const host = options.host ?? "127.0.0.1";
  httpServer.listen(options.port ?? 0, host);
  await once(httpServer, "listening");
  listening = true;
  const port = (httpServer.address() as AddressInfo).port;
  const shown = displayHost(host);

  let closed: Promise<void> | undefined;
  return {
    url: `http://${shown}:${port}`,
    wsUrl: `ws://${shown}:${port}`,
    port,
    podId,
    metrics,
    devIssuer,
    edge: liveEdge,
    pod,
    httpServer,
    setDenyList: (cidrs) => liveEdge.setDenyList(cidrs),
    close() {
      closed ??= (async () => {
        closing = true;
        const httpClosed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        await liveEdge.close();
        shadow?.close();
        httpServer.closeAllConnections();
        await httpClosed;
        await pod.close();
      })();
      return closed;
    },
  };
}
