// The admin port (docs/OPERATIONS.md#admin-port): GET /metrics on an HTTP server of its
// own, bound to a private interface (127.0.0.1 unless told otherwise), so the port that
// faces the internet does not hand out the process's internals (connections, rooms,
// refusals by code, memory) to anyone who asks. /healthz and /readyz stay on the public
// port: load balancers probe them there. Rejected: a token on /metrics, because
// Prometheus scrape configs and every exporter convention expect a plain port.
import { once } from "node:events";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { displayHost, writeMetrics } from "./http.js";
import type { Metrics } from "./metrics.js";

/** The CLI's admin port for serve, pod and edge (`--admin-port`); the OpenTelemetry Prometheus exporter's. */
export const DEFAULT_ADMIN_PORT = 9464;
/** The admin server's interface (`--admin-host`): loopback, so metrics are private until told otherwise. */
export const DEFAULT_ADMIN_HOST = "127.0.0.1";
/** `--admin-port public`: no admin server, /metrics on the public port (dev's default). */
export const ADMIN_PORT_PUBLIC = "public";

/** A port for the admin server (0 = a free one), or `public`. */
export type AdminPort = number | typeof ADMIN_PORT_PUBLIC;

/** Where the admin server listens; absent = /metrics stays on the public port. */
export interface AdminOptions {
  /** 0 = a free port (read it from `metricsUrl`). */
  readonly port: number;
  /** Default DEFAULT_ADMIN_HOST. */
  readonly host?: string;
}

/** `--admin-port`'s value: an integer 0–65535 or `public`; anything else is one error line. */
export function parseAdminPort(raw: string, source: string): AdminPort {
  const text = raw.trim();
  if (text === ADMIN_PORT_PUBLIC) return ADMIN_PORT_PUBLIC;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) {
    throw new Error(`${source} must be a port 0–65535 or "${ADMIN_PORT_PUBLIC}" (metrics on --port)`);
  }
  return n;
}

/**
 * The admin port must not be a port this process binds already (`grpcPort`: a pod's),
 * and `--admin-host` means nothing without one. Throws one line naming the flags.
 */
export function checkAdminPort(
  admin: AdminPort,
  ports: { readonly port: number; readonly grpcPort?: number },
  hostGiven: boolean,
): void {
  if (admin === ADMIN_PORT_PUBLIC) {
    if (hostGiven) {
      throw new Error(`--admin-host needs --admin-port N (with ${ADMIN_PORT_PUBLIC}, /metrics is on --port)`);
    }
    return;
  }
  if (admin !== 0 && admin === ports.port) {
    throw new Error(
      `--admin-port ${admin} is also --port: give another port, or --admin-port ${ADMIN_PORT_PUBLIC} for /metrics on --port`,
    );
  }
  if (admin !== 0 && admin === ports.grpcPort) {
    throw new Error(`--admin-port ${admin} is also --grpc-port: give another port`);
  }
}

/** The admin port could not be bound; main.ts names `--admin-port` in its one error line. */
export class AdminListenError extends Error {
  constructor(
    readonly code: string | undefined,
    readonly host: string,
    readonly port: number,
    cause: unknown,
  ) {
    super(`admin port ${port} on ${host}: ${(cause as Error).message}`, { cause });
    this.name = "AdminListenError";
  }
}

export interface AdminServer {
  /** e.g. http://127.0.0.1:9464/metrics */
  readonly metricsUrl: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: "not found" }));
}

/** Listens on the admin port and serves GET/HEAD /metrics there; everything else is 404. */
export async function startAdminServer(
  options: AdminOptions & { readonly metrics: Metrics; readonly logger: Logger },
): Promise<AdminServer> {
  const { metrics, logger } = options;
  const host = options.host ?? DEFAULT_ADMIN_HOST;
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) return notFound(res);
    writeMetrics(metrics, res).catch((err: unknown) => {
      logger.error({ err, path }, "admin metrics failed");
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  server.on("upgrade", (_req, socket) => socket.destroy());
  server.on("clientError", (_err, socket) => socket.destroy());
  server.listen(options.port, host);
  try {
    await once(server, "listening");
  } catch (err) {
    throw new AdminListenError((err as NodeJS.ErrnoException).code, host, options.port, err);
  }
  const port = (server.address() as AddressInfo).port;
  return {
    metricsUrl: `http://${displayHost(host)}:${port}/metrics`,
    port,
    server,
    close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      return closed;
    },
  };
}

/**
 * Binds the public server on `port`/`host`, then the admin server when asked; if the
 * admin port fails, the public one is closed again, so on failure neither stays bound.
 */
export async function listenWithAdmin(
  server: Server,
  where: { readonly port: number; readonly host: string },
  admin: (AdminOptions & { readonly metrics: Metrics; readonly logger: Logger }) | undefined,
): Promise<AdminServer | undefined> {
  server.listen(where.port, where.host);
  await once(server, "listening");
  if (admin === undefined) return undefined;
  try {
    return await startAdminServer(admin);
  } catch (err) {
    server.close();
    throw err;
  }
}
