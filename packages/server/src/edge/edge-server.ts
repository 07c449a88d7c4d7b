// The WebSocket front every client-serving mode runs (docs/OPERATIONS.md#running-modes): metrics, the
// optional shadow mirror, the edge and the HTTP server its upgrades arrive on.
// dev/serve (server.ts, link to a pod in the same process) and split-mode `edge`
// (rpc/edge-role.ts, link over gRPC) both start it here, so an edge option added
// once reaches createEdge in every mode; when each wired its own edge, the split
// edge silently dropped flushCpuShare and ghostGraceMs.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ErrorCode } from "@collabblocks/protocol";
import type { Logger } from "pino";
import type { EdgeLink } from "../link/edge-link.js";
import { type AdminOptions, type AdminServer, listenWithAdmin } from "../ops/admin-server.js";
import { createHttpHandler, displayHost, type HttpOptions } from "../ops/http.js";
import { createMetrics, type Metrics, type MetricsSources } from "../ops/metrics.js";
import { createShadowMirror, type ShadowOptions } from "../rollout/shadow.js";
import { createTokenVerifier, type TokenClaims, type TokenVerifierOptions } from "./auth.js";
import { createEdge, type Edge, type EdgeOptions } from "./edge.js";
import { HANDSHAKE_TIMEOUT_MS } from "./edge-defaults.js";
import { verifyEs256Jwt } from "./es256-jwt.js";

/** The edge tunables the modes expose (documented on EdgeOptions). */
type EdgeTunables = Pick<
  EdgeOptions,
  | "tickMs"
  | "flushCpuShare"
  | "maxRoomConnections"
  | "maxConnsPerIp"
  | "maxConnsPerUser"
  | "trustedProxies"
  | "allowedOrigins"
  | "largeRoomThreshold"
  | "denyIps"
  | "heartbeatMs"
  | "ghostGraceMs"
  | "clock"
>;

/** The options of an edge, whatever the mode (the CLI flags of docs/OPERATIONS.md#running-modes map onto these). */
export interface EdgeServerOptions extends EdgeTunables {
  /** TCP port for HTTP + WebSockets; 0 (default here) = a free port. The CLI defaults to 8787. */
  readonly port?: number;
  /** Interface to bind (default 127.0.0.1; the CLI passes 0.0.0.0). */
  readonly host?: string;
  /** Extra gate on verified tokens (plans/orgs rollout): return a code to refuse. */
  readonly authorize?: (claims: TokenClaims) => ErrorCode | undefined;
  /** Default process metrics (CPU, memory, event loop) in /metrics (default true). */
  readonly defaultMetrics?: boolean;
  /** How long a client may take to send its request headers (upgrade included), ms (default HANDSHAKE_TIMEOUT_MS). */
  readonly handshakeTimeoutMs?: number;
  /** Mirror local clients' accepted presence to a staging deployment (`--shadow-to`); default: off. */
  readonly shadow?: ShadowOptions;
  /**
   * /metrics on its own server (docs/OPERATIONS.md#admin-port), 404 on `port`. Default here:
   * none, /metrics on `port` (tests and embedders start many servers in one process); the
   * CLI passes `--admin-port`/`--admin-host`, 9464 on 127.0.0.1 for serve and edge.
   */
  readonly admin?: AdminOptions;
}

export interface EdgeServerDeps {
  readonly link: EdgeLink;
  /** Where token keys come from (a JWKS URL, or the dev issuer's key). */
  readonly keys: TokenVerifierOptions["keys"];
  readonly logger: Logger;
  /**
   * What the edge cannot count alone. `rooms` defaults to the edge's own rooms;
   * `backlog` is added to the edge's own send backlog.
   */
  readonly sources: Omit<MetricsSources, "connections" | "rooms" | "backlog"> & {
    readonly rooms?: () => number;
    readonly backlog?: () => number;
  };
  /** Extra HTTP endpoints (the dev issuer, static files). */
  readonly http?: Pick<
    HttpOptions,
    "devIssuer" | "simulator" | "devAllowOrigins" | "staticDir" | "placeholder"
  >;
  /** Undoes what the caller started when the port cannot be bound, before the error is rethrown. */
  readonly onListenError?: () => void;
}

export interface EdgeServer {
  /** e.g. http://127.0.0.1:8787 */
  readonly url: string;
  /** e.g. ws://127.0.0.1:8787 */
  readonly wsUrl: string;
  readonly port: number;
  /** Where /metrics is served: the admin server's, or `${url}/metrics` without one. */
  readonly metricsUrl: string;
  readonly metrics: Metrics;
  readonly edge: Edge;
  readonly httpServer: Server;
  /** Replaces the `--deny-ips` list (e.g. on SIGHUP). Throws RangeError on a bad entry. */
  setDenyList(cidrs: readonly string[]): void;
  /** SERVER_SHUTTING_DOWN + 1012 to every socket, closes the link and the shadow mirror, then HTTP. */
  close(): Promise<void>;
}

/** The edge's tunables out of the server's options (EdgeTunables lists them). */
function tunables(o: EdgeServerOptions): EdgeTunables {
  return {
    tickMs: o.tickMs,
    flushCpuShare: o.flushCpuShare,
    maxRoomConnections: o.maxRoomConnections,
    maxConnsPerIp: o.maxConnsPerIp,
    maxConnsPerUser: o.maxConnsPerUser,
    trustedProxies: o.trustedProxies,
    allowedOrigins: o.allowedOrigins,
    largeRoomThreshold: o.largeRoomThreshold,
    denyIps: o.denyIps,
    heartbeatMs: o.heartbeatMs,
    ghostGraceMs: o.ghostGraceMs,
    clock: o.clock,
  };
}

/** Starts an edge and listens; /readyz is 200 while listening, not closing and the link is ready. */
export async function createEdgeServer(
  options: EdgeServerOptions,
  deps: EdgeServerDeps,
): Promise<EdgeServer> {
  const { link, logger, sources } = deps;
  const verifier = createTokenVerifier({
    keys: deps.keys,
    authorize: options.authorize,
    verifyJwt: verifyEs256Jwt,
    onError: (err) => logger.error({ err }, "checking a verified token's claims threw"),
  });
  let edge: Edge | undefined;
  const metrics = createMetrics(
    {
      ...sources,
      connections: () => edge?.connections ?? 0,
      rooms: sources.rooms ?? (() => edge?.rooms ?? 0),
      backlog: () => (edge?.backlog() ?? 0) + (sources.backlog?.() ?? 0),
      jwksStale: () => verifier.jwksStaleUses,
    },
    { defaultMetrics: options.defaultMetrics },
  );
  const shadow = options.shadow
    ? createShadowMirror(options.shadow, { stats: metrics.stats, logger, clock: options.clock })
    : undefined;
  edge = createEdge({
    link,
    verifier,
    metrics,
    logger,
    ...tunables(options),
    joinTimeoutMs: options.handshakeTimeoutMs,
    observer: shadow,
  });
  const liveEdge = edge;
  let closing = false;
  let listening = false;
  // Half-open handshakes (a TCP connection whose request headers never finish)
  // are dropped after the handshake timeout; Node checks once a second instead
  // of every 30 s, so the bound is the timeout, not the timeout + 30 s.
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
  const httpServer = createServer(
    {
      headersTimeout: handshakeTimeoutMs,
      requestTimeout: handshakeTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, handshakeTimeoutMs),
    },
    createHttpHandler({
      ...deps.http,
      metrics: options.admin ? undefined : metrics,
      ready: () => listening && !closing && link.ready,
      logger,
    }),
  );
  httpServer.on("upgrade", (req, socket, head) => liveEdge.handleUpgrade(req, socket, head));
  httpServer.on("clientError", (_err, socket) => socket.destroy());

  const host = options.host ?? "127.0.0.1";
  let admin: AdminServer | undefined;
  try {
    const adminOptions = options.admin && { ...options.admin, metrics, logger };
    admin = await listenWithAdmin(httpServer, { port: options.port ?? 0, host }, adminOptions);
  } catch (err) {
    deps.onListenError?.();
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
    metricsUrl: admin?.metricsUrl ?? `http://${shown}:${port}/metrics`,
    metrics,
    edge: liveEdge,
    httpServer,
    setDenyList: (cidrs) => liveEdge.setDenyList(cidrs),
    close() {
      closed ??= (async () => {
        closing = true;
        const httpClosed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        await liveEdge.close(); // closes the link too
        shadow?.close();
        httpServer.closeAllConnections();
        await Promise.all([httpClosed, admin?.close()]);
      })();
      return closed;
    },
  };
}
