// `collabblocks pod` and `collabblocks edge` (split mode, docs/OPERATIONS.md#running-modes): starts the
// role from the parsed CLI config and gives main.ts what it needs — the one
// listening line, close() for signals and the deny-list reload. Bad config (a
// gRPC port in use) goes through `fail` (one line, exit 2) like the other modes.
import type { ErrorCode } from "@collabblocks/protocol";
import type { Logger } from "pino";
import type { PresenceBus } from "../bus/bus.js";
import type { TokenClaims } from "../edge/auth.js";
import type { Edge } from "../edge/edge.js";
import type { EdgeServerOptions } from "../edge/edge-server.js";
import { ADMIN_PORT_PUBLIC, type AdminOptions } from "../ops/admin-server.js";
import { createEdgeRole } from "../roles/edge-role.js";
import { createPodRole } from "../roles/pod-role.js";
import type { ShadowOptions } from "../rollout/shadow.js";
import type { CliConfig } from "./flags.js";

export interface SplitRoleDeps {
  readonly logger: Logger;
  readonly podId: string;
  readonly bus: PresenceBus | undefined;
  readonly denyIps: readonly string[];
  readonly fail: (message: string) => never;
  /** Rollout gates (edge only). */
  readonly authorize?: (claims: TokenClaims) => ErrorCode | undefined;
  /** Shadow traffic (edge only). */
  readonly shadow?: ShadowOptions;
}

export interface RunningRole {
  readonly url: string;
  /** Where /metrics is served (the admin port, or `url` with `--admin-port public`). */
  readonly metricsUrl: string;
  readonly podId: string;
  /** The JSON line printed on stdout once ready. */
  readonly listening: Readonly<Record<string, string>>;
  setDenyList(cidrs: readonly string[]): void;
  /** The edge (undefined for a pod): rollout gates re-check its live connections. */
  readonly edge?: Edge;
  close(): Promise<void>;
}

/** The admin server `--admin-port`/`--admin-host` ask for; undefined = /metrics on `--port`. */
export function adminFromCli(config: CliConfig): AdminOptions | undefined {
  return config.adminPort === ADMIN_PORT_PUBLIC
    ? undefined
    : { port: config.adminPort, host: config.adminHost };
}

/**
 * The edge options of every command that serves clients (dev, serve, edge), from
 * their flags: one mapping, so a flag wired for one mode reaches the others.
 */
export function edgeOptionsFromCli(
  config: CliConfig,
  deps: Pick<SplitRoleDeps, "denyIps" | "authorize" | "shadow">,
): EdgeServerOptions {
  return {
    port: config.port,
    host: config.host,
    tickMs: config.tickMs,
    maxRoomConnections: config.maxRoomConnections,
    maxConnsPerIp: config.maxConnsPerIp,
    maxConnsPerUser: config.maxConnsPerUser,
    trustedProxies: config.trustedProxies,
    allowedOrigins: config.allowedOrigins,
    largeRoomThreshold: config.largeRoomThreshold,
    denyIps: deps.denyIps,
    authorize: deps.authorize,
    shadow: deps.shadow,
    admin: adminFromCli(config),
  };
}

export async function startSplitRole(config: CliConfig, deps: SplitRoleDeps): Promise<RunningRole> {
  const { logger, podId, fail } = deps;
  if (config.command === "pod") {
    let role: Awaited<ReturnType<typeof createPodRole>>;
    try {
      role = await createPodRole({
        port: config.port,
        grpcPort: config.grpcPort,
        host: config.host,
        podId,
        maxRooms: config.maxRooms,
        bus: deps.bus,
        logger,
        admin: adminFromCli(config),
        workerLink: config.workerLink,
      });
    } catch (err) {
      // grpc-js reports a taken port as "No address added out of total 1 resolved".
      if (/No address added/.test((err as Error).message)) {
        fail(`--grpc-port ${config.grpcPort} on ${config.host} is already in use or cannot be bound`);
      }
      throw err;
    }
    return {
      url: role.url,
      metricsUrl: role.metricsUrl,
      podId,
      listening: {
        event: "listening",
        role: "pod",
        url: role.url,
        grpc: role.grpcAddress,
        metrics: role.metricsUrl,
      },
      setDenyList: () => {}, // a pod has no client sockets
      close: () => role.close(),
    };
  }
  if (config.command !== "edge") throw new Error(`not a split-mode command: ${config.command}`);
  const role = await createEdgeRole({
    ...edgeOptionsFromCli(config, deps),
    jwksUrl: config.jwksUrl!,
    pods: config.pods!,
    edgeId: podId,
    logger,
  });
  return {
    url: role.url,
    metricsUrl: role.metricsUrl,
    podId,
    listening: { event: "listening", role: "edge", url: role.url, metrics: role.metricsUrl },
    setDenyList: (cidrs) => role.setDenyList(cidrs),
    edge: role.edge,
    close: () => role.close(),
  };
}
