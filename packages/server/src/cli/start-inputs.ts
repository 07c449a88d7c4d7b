// What `collabblocks` reads from disk and the network before it starts a role
// (main.ts): the `--deny-ips` list (inline or `@file`, re-read on SIGHUP), the
// `--static-dir` (dev defaults to the demo build), and the Redis bus, which it
// waits for only REDIS_CONNECT_WAIT_MS (docs/OPERATIONS.md#running-modes: a
// process serves locally until Redis answers, then syncs).
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import { connectRedisBus, createErrorThrottle, type RedisBus } from "../bus/redis/index.js";
import { parseCidrList, splitCidrText } from "../limits/ip-filter.js";
import { systemClock } from "../ops/clock.js";
import type { CliConfig } from "./flags.js";

/** How long start-up waits for Redis before serving locally (and syncing once it answers), ms. */
const REDIS_CONNECT_WAIT_MS = 5000;

/** `--deny-ips`: an inline CIDR list or `@path` to a file of them. Throws naming the bad entry. */
export function readDenyList(spec: string | undefined): string[] {
  if (spec === undefined) return [];
  const list = spec.startsWith("@")
    ? splitCidrText(readFileSync(spec.slice(1), "utf8"))
    : splitCidrText(spec);
  parseCidrList(list, "deny list"); // throws RangeError naming the bad entry
  return list;
}

/** The demo build next to the sources: <repo>/apps/demo/dist, from packages/server/dist/cli/. */
function defaultDemoDir(): string | undefined {
  const dir = resolve(dirname(fileURLToPath(import.meta.url)), "../../../../apps/demo/dist");
  return existsSync(resolve(dir, "index.html")) ? dir : undefined;
}

/** The deny list and the static dir, or one error line for `fail`. */
export function readStartFiles(
  config: Pick<CliConfig, "denyIps" | "staticDir" | "command">,
  fail: (message: string) => never,
): { readonly denyIps: string[]; readonly staticDir: string | undefined } {
  let denyIps: string[];
  try {
    denyIps = readDenyList(config.denyIps);
  } catch (err) {
    fail(`--deny-ips: ${(err as Error).message}`);
  }
  const { staticDir } = config;
  if (staticDir !== undefined && !statSync(staticDir, { throwIfNoEntry: false })?.isDirectory()) {
    fail(`--static-dir ${staticDir} is not a directory`);
  }
  return { denyIps, staticDir: staticDir ?? (config.command === "dev" ? defaultDemoDir() : undefined) };
}

/** The Redis bus of `--redis`/`--redis-cluster`, waited for a little; undefined without one. */
export async function connectBus(
  config: Pick<CliConfig, "redis">,
  podId: string,
  logger: Logger,
): Promise<RedisBus | undefined> {
  if (!config.redis) return undefined;
  const report = createErrorThrottle((err, context, suppressed) =>
    logger.warn({ err: (err as Error)?.message ?? String(err), context, suppressed }, "redis bus error"),
  );
  const bus = connectRedisBus(config.redis, podId, report, systemClock);
  if (!(await bus.whenConnected(REDIS_CONNECT_WAIT_MS))) {
    logger.warn({ redis: config.redis.kind }, "redis not reachable yet; serving locally until it answers");
  }
  return bus;
}
