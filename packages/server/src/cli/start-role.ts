// Starts the role a command names (main.ts): dev and serve run edge + pod in one
// process (roles/presence-server.ts), pod and edge the split roles
// (split-cli.ts). A port that cannot be bound is bad configuration: one line
// naming the flag, exit 2. Then the ready line (docs/OPERATIONS.md#running-modes).
import type { Logger } from "pino";
import type { RedisBus } from "../bus/redis/index.js";
import { AdminListenError } from "../ops/admin-server.js";
import { createPresenceServer } from "../roles/presence-server.js";
import { type CliConfig, LOOPBACK_HOSTS } from "./flags.js";
import type { Rollout } from "./rollout.js";
import { edgeOptionsFromCli, type RunningRole, startSplitRole } from "./split-cli.js";

export interface StartDeps {
  readonly logger: Logger;
  readonly podId: string;
  readonly bus: RedisBus | undefined;
  readonly denyIps: readonly string[];
  readonly staticDir: string | undefined;
  readonly rollout: Pick<Rollout, "authorize" | "shadow">;
  /** One line on stderr, exit 2. */
  readonly fail: (message: string) => never;
}

/** Fails for the bind errors that are bad configuration; returns for the others. */
function failToBind(
  fail: (message: string) => never,
  code: string | undefined,
  flag: string,
  port: number,
  host: string,
): void {
  if (code === "EADDRINUSE") fail(`${flag} ${port} on ${host} is already in use`);
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") fail(`${flag} ${port}: cannot bind to host ${host}`);
  if (code === "EACCES") fail(`no permission to bind ${flag} ${port} on ${host}`);
}

/** The running role, with the one JSON line it prints once ready. */
export async function startRole(config: CliConfig, deps: StartDeps): Promise<RunningRole> {
  const { logger, podId, bus, denyIps, rollout } = deps;
  const { authorize, shadow } = rollout;
  try {
    if (config.command === "pod" || config.command === "edge") {
      return await startSplitRole(config, {
        logger,
        podId,
        bus,
        denyIps,
        fail: deps.fail,
        authorize,
        shadow,
      });
    }
    const server = await createPresenceServer({
      ...edgeOptionsFromCli(config, { denyIps, authorize, shadow }),
      auth: config.command === "dev" ? "dev" : { jwksUrl: config.jwksUrl! },
      maxRooms: config.maxRooms,
      staticDir: deps.staticDir,
      placeholderPage: config.command === "dev",
      devAllowOrigins: config.devAllowOrigins,
      logger,
      podId,
      bus,
    });
    // dev/serve print role "all"; the split-mode roles bring their own line.
    const listening = {
      event: "listening",
      role: "all",
      url: server.url,
      bind: config.host,
      metrics: server.metricsUrl,
    };
    return Object.assign(server, { listening });
  } catch (err) {
    if (err instanceof AdminListenError) failToBind(deps.fail, err.code, "--admin-port", err.port, err.host);
    failToBind(deps.fail, (err as NodeJS.ErrnoException).code, "--port", config.port, config.host);
    throw err;
  }
}

/** The ready line on stdout, a loud warning for a publicly bound dev, and the log line. */
export function announce(config: CliConfig, role: RunningRole, logger: Logger): void {
  process.stdout.write(`${JSON.stringify(role.listening)}\n`);
  if (config.command === "dev" && config.insecureDevPublic && !LOOPBACK_HOSTS.includes(config.host)) {
    const warning = `dev is listening on ${config.host}: anyone who can reach port ${config.port} can mint tokens and join any room`;
    process.stderr.write(`collabblocks: WARNING: ${warning}\n`);
    logger.warn({ bind: config.host }, warning);
  }
  logger.info(
    { url: role.url, metrics: role.metricsUrl, podId: role.podId, command: config.command },
    "listening",
  );
}
