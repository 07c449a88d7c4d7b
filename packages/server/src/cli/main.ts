// `collabblocks` CLI entry (bin/collabblocks.js imports the built copy of this).
// Exit codes: 0 after a clean shutdown, 2 for bad configuration (one line on
// stderr), 1 for unexpected failures.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { connectRedisBus, createErrorThrottle, type RedisBus } from "../bus/redis/index.js";
import { parseCidrList, splitCidrText } from "../limits/ip-filter.js";
import { AdminListenError } from "../ops/admin-server.js";
import { createLogger } from "../ops/logger.js";
import { defaultPodId } from "../ops/process-id.js";
import { createPresenceServer } from "../roles/presence-server.js";
import { type CliConfig, HELP, LOOPBACK_HOSTS, parseCli } from "./flags.js";
import { runKeys } from "./keys-cli.js";
import { prepareRollout, type Rollout } from "./rollout.js";
import { edgeOptionsFromCli, startSplitRole } from "./split-cli.js";

/** Shutdown must finish within this, ms (docs/OPERATIONS.md#shutdown-and-signals: exit 0 within 5 s). */
const SHUTDOWN_DEADLINE_MS = 4500;
/** How long start-up waits for Redis before serving locally (and syncing once it answers), ms. */
const REDIS_CONNECT_WAIT_MS = 5000;

function fail(message: string): never {
  process.stderr.write(`collabblocks: ${message}\n`);
  process.exit(2);
}

/** A port that cannot be bound is bad configuration: one line naming the flag, exit 2. */
function failToBind(code: string | undefined, flag: string, port: number, host: string): void {
  if (code === "EADDRINUSE") fail(`${flag} ${port} on ${host} is already in use`);
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") fail(`${flag} ${port}: cannot bind to host ${host}`);
  if (code === "EACCES") fail(`no permission to bind ${flag} ${port} on ${host}`);
}

/** The demo build next to the sources: <repo>/apps/demo/dist, from packages/server/dist/cli/. */
function defaultDemoDir(): string | undefined {
  const dir = resolve(dirname(fileURLToPath(import.meta.url)), "../../../../apps/demo/dist");
  return existsSync(resolve(dir, "index.html")) ? dir : undefined;
}

function readDenyList(spec: string | undefined): string[] {
  if (spec === undefined) return [];
  const list = spec.startsWith("@")
    ? splitCidrText(readFileSync(spec.slice(1), "utf8"))
    : splitCidrText(spec);
  parseCidrList(list, "deny list"); // throws RangeError naming the bad entry
  return list;
}

async function run(config: CliConfig): Promise<void> {
  let denyIps: string[];
  try {
    denyIps = readDenyList(config.denyIps);
  } catch (err) {
    fail(`--deny-ips: ${(err as Error).message}`);
  }
  let staticDir = config.staticDir;
  if (staticDir !== undefined && !statSync(staticDir, { throwIfNoEntry: false })?.isDirectory()) {
    fail(`--static-dir ${staticDir} is not a directory`);
  }
  if (staticDir === undefined && config.command === "dev") staticDir = defaultDemoDir();
  const logger = createLogger(config.logLevel as Parameters<typeof createLogger>[0]);
  const podId = config.podId ?? defaultPodId();
  let rollout: Rollout;
  try {
    rollout = prepareRollout(config, logger);
  } catch (err) {
    fail((err as Error).message);
  }
  let bus: RedisBus | undefined;
  if (config.redis) {
    const report = createErrorThrottle((err, context, suppressed) =>
      logger.warn({ err: (err as Error)?.message ?? String(err), context, suppressed }, "redis bus error"),
    );
    bus = connectRedisBus(config.redis, podId, report);
    if (!(await bus.whenConnected(REDIS_CONNECT_WAIT_MS))) {
      logger.warn({ redis: config.redis.kind }, "redis not reachable yet; serving locally until it answers");
    }
  }

  // Signal handlers go in before the ready line is printed: a SIGTERM that arrives
  // between the two would otherwise hit Node's default action and kill the process.
  let server:
    | (Pick<
        Awaited<ReturnType<typeof createPresenceServer>>,
        "url" | "metricsUrl" | "podId" | "close" | "setDenyList"
      > & {
        readonly edge?: Parameters<Rollout["start"]>[0];
      })
    | undefined;
  // dev/serve print role "all"; the split-mode roles bring their own line.
  let listening: Readonly<Record<string, string>> | undefined;
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    if (!server) process.exit(0);
    const force = setTimeout(() => {
      logger.warn("shutdown deadline reached; exiting");
      process.exit(0);
    }, SHUTDOWN_DEADLINE_MS);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(0);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));

  try {
    if (config.command === "pod" || config.command === "edge") {
      const role = await startSplitRole(config, {
        logger,
        podId,
        bus,
        denyIps,
        fail,
        authorize: rollout.authorize,
        shadow: rollout.shadow,
      });
      server = role;
      listening = role.listening;
    } else
      server = await createPresenceServer({
        ...edgeOptionsFromCli(config, { denyIps, authorize: rollout.authorize, shadow: rollout.shadow }),
        auth: config.command === "dev" ? "dev" : { jwksUrl: config.jwksUrl! },
        maxRooms: config.maxRooms,
        staticDir,
        placeholderPage: config.command === "dev",
        devAllowOrigins: config.devAllowOrigins,
        logger,
        podId,
        bus,
      });
  } catch (err) {
    if (err instanceof AdminListenError) failToBind(err.code, "--admin-port", err.port, err.host);
    failToBind((err as NodeJS.ErrnoException).code, "--port", config.port, config.host);
    throw err;
  }
  const line = listening ?? {
    event: "listening",
    role: "all",
    url: server.url,
    bind: config.host,
    metrics: server.metricsUrl,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
  if (config.command === "dev" && config.insecureDevPublic && !LOOPBACK_HOSTS.includes(config.host)) {
    const warning = `dev is listening on ${config.host}: anyone who can reach port ${config.port} can mint tokens and join any room`;
    process.stderr.write(`collabblocks: WARNING: ${warning}\n`);
    logger.warn({ bind: config.host }, warning);
  }
  logger.info(
    { url: server.url, metrics: server.metricsUrl, podId: server.podId, command: config.command },
    "listening",
  );

  const live = server;
  rollout.start(live.edge);
  process.on("SIGHUP", () => {
    rollout.reload();
    if (config.denyIps === undefined) return;
    try {
      const list = readDenyList(config.denyIps);
      live.setDenyList(list);
      logger.info({ entries: list.length }, "deny list reloaded");
    } catch (err) {
      logger.error({ err: (err as Error).message }, "deny list reload failed; keeping the old list");
    }
  });
}

const crash = (err: unknown): never => {
  process.stderr.write(`collabblocks: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
};
if (process.argv[2] === "keys") {
  // A one-shot tool, not a server: its own flags (cli/keys-cli.ts).
  runKeys(process.argv.slice(3)).then((code) => process.exit(code), crash);
} else {
  const parsed = parseCli(process.argv.slice(2), process.env);
  if (parsed.kind === "help") process.stdout.write(HELP);
  else if (parsed.kind === "error") fail(parsed.message);
  else run(parsed.config).catch(crash);
}
