// The rules between flags (cli/flags.ts): which command needs or refuses which
// flag, and the flags whose value is checked against others or parsed further
// (Redis targets, pod lists, origins, proxies, the admin port). Each throws one
// error line; parseCli calls them in a fixed order, so with several problems the
// same one is reported every time.
import { checkPodId, parseClusterNodes, parseRedisUrl, type RedisTarget } from "../bus/redis/redis-target.js";
import { parseTrustedProxies } from "../limits/client-address.js";
import { splitCidrText } from "../limits/ip-filter.js";
import { type AdminPort, checkAdminPort } from "../ops/admin-server.js";
import { isLogLevel, LOG_LEVELS } from "../ops/logger.js";
import { parseShadowTarget } from "../rollout/shadow.js";
import { parsePodList } from "../rpc/pod-router.js";
import { type Command, envName } from "./flag-spec.js";
import type { FlagValues, ValueOf } from "./flag-values.js";

/** Interfaces `dev` binds without --insecure-dev-public. */
export const LOOPBACK_HOSTS: readonly string[] = ["127.0.0.1", "::1", "localhost"];

/** Flags about client sockets: a pod has none, so it refuses them. */
const EDGE_ONLY_FLAGS: readonly string[] = [
  "large-room-threshold",
  "max-conns-per-user",
  "trusted-proxies",
  "allowed-origins",
  "gates-file",
  "allow-plans",
  "allow-orgs",
  "shadow-to",
  "shadow-token-key",
  "shadow-kid",
  "shadow-room-prefix",
  "shadow-max-connections",
];
const DEV_ONLY_FLAGS: readonly string[] = ["insecure-dev-public", "dev-allow-origin"];

const stringOf = (values: FlagValues, name: string): string | undefined =>
  values.get(name) as string | undefined;

/** serve and edge verify tokens against a JWKS. */
export function readJwksUrl(command: Command, values: FlagValues): string | undefined {
  const jwksUrl = stringOf(values, "jwks-url");
  if ((command === "serve" || command === "edge") && jwksUrl === undefined) {
    throw new Error(`${command} needs --jwks-url (or ${envName("jwks-url")})`);
  }
  return jwksUrl;
}

/** An edge needs its pods, and leaves Redis to them. */
export function readPods(command: Command, values: FlagValues): readonly string[] | undefined {
  if (command !== "edge") return undefined;
  const podsSpec = stringOf(values, "pods");
  if (podsSpec === undefined) throw new Error(`edge needs --pods host:port,… (or ${envName("pods")})`);
  const pods = parsePodList(podsSpec);
  if (values.has("redis") || values.has("redis-cluster")) {
    throw new Error("an edge does not use Redis: give --redis to the pods");
  }
  return pods;
}

export function readRedis(values: FlagValues): RedisTarget | undefined {
  const redisUrl = stringOf(values, "redis");
  const redisCluster = stringOf(values, "redis-cluster");
  if (redisUrl !== undefined && redisCluster !== undefined) {
    throw new Error("give --redis or --redis-cluster, not both");
  }
  if (redisUrl !== undefined) return parseRedisUrl(redisUrl);
  return redisCluster !== undefined ? parseClusterNodes(redisCluster) : undefined;
}

export function readPodId(values: FlagValues): string | undefined {
  const podId = stringOf(values, "pod-id");
  if (podId !== undefined) checkPodId(podId);
  return podId;
}

/** Smallest Workers link secret, characters: it is all that guards the pod's dial endpoint. */
const MIN_LINK_SECRET_LENGTH = 32;

/** `--worker-url` and `--worker-link-secret` come together, on a pod only (docs/EDGE-WORKERS.md#the-pod-link). */
export function readWorkerLink(
  command: Command,
  values: FlagValues,
): { readonly workerUrl: string; readonly secret: string } | undefined {
  const url = values.get("worker-url");
  const secret = values.get("worker-link-secret");
  if (url === undefined && secret === undefined) return undefined;
  if (command !== "pod") throw new Error("--worker-url and --worker-link-secret are for `collabblocks pod`");
  if (typeof url !== "string" || typeof secret !== "string") {
    throw new Error("give --worker-url and --worker-link-secret together");
  }
  if (!/^https?:\/\/[^/]+/.test(url)) throw new Error("--worker-url must be an http(s) URL");
  if (secret.length < MIN_LINK_SECRET_LENGTH) {
    throw new Error(`--worker-link-secret must have at least ${MIN_LINK_SECRET_LENGTH} characters`);
  }
  return { workerUrl: url, secret };
}

export function checkEdgeOnly(command: Command, values: FlagValues): void {
  const podGiven = EDGE_ONLY_FLAGS.find((name) => values.has(name));
  if (command === "pod" && podGiven !== undefined) {
    throw new Error(`a pod has no client sockets: give --${podGiven} to the edges`);
  }
}

/** `--shadow-to`, checked; the other shadow flags need it, and it needs a key. */
export function readShadowTo(values: FlagValues): string | undefined {
  const shadowTo = values.has("shadow-to") ? parseShadowTarget(stringOf(values, "shadow-to")!) : undefined;
  const shadowGiven = EDGE_ONLY_FLAGS.filter((n) => n.startsWith("shadow-") && n !== "shadow-to").find((n) =>
    values.has(n),
  );
  if (shadowTo === undefined && shadowGiven !== undefined)
    throw new Error(`--${shadowGiven} needs --shadow-to`);
  if (shadowTo !== undefined && !values.has("shadow-token-key")) {
    throw new Error(
      "--shadow-to needs --shadow-token-key (an ES256 key whose public part is in staging's JWKS)",
    );
  }
  return shadowTo;
}

/** dev's own flags: refused by the other commands; dev's safety checked. */
export function readDevFlags(
  command: Command,
  values: FlagValues,
  get: ValueOf,
  env: Readonly<Record<string, string | undefined>>,
): { readonly insecureDevPublic: boolean; readonly devAllowOrigins: readonly string[] } {
  const insecureDevPublic = get<string>("insecure-dev-public") === "true";
  const devGiven = DEV_ONLY_FLAGS.find((n) => values.has(n));
  if (command !== "dev" && devGiven !== undefined) throw new Error(`--${devGiven} applies to dev only`);
  if (command === "dev") checkDevSafety(get<string>("host"), insecureDevPublic, env);
  const devAllowOrigins = values.has("dev-allow-origin")
    ? parseOrigins(stringOf(values, "dev-allow-origin")!, "dev-allow-origin")
    : [];
  return { insecureDevPublic, devAllowOrigins };
}

export function readTrustedProxies(get: ValueOf): readonly string[] {
  const trustedProxies = splitCidrText(get<string>("trusted-proxies"));
  try {
    parseTrustedProxies(trustedProxies);
  } catch (err) {
    throw new Error(`--trusted-proxies: ${(err as RangeError).message}`);
  }
  return trustedProxies;
}

/** The admin port must differ from the ports the command already binds. */
export function readAdminPort(command: Command, values: FlagValues, get: ValueOf): AdminPort {
  const adminPort = get<AdminPort>("admin-port");
  const grpcPort = command === "pod" ? get<number>("grpc-port") : undefined;
  checkAdminPort(adminPort, { port: get("port"), grpcPort }, values.has("admin-host"));
  return adminPort;
}

export function readLogLevel(get: ValueOf): string {
  const logLevel = get<string>("log-level");
  if (!isLogLevel(logLevel)) throw new Error(`--log-level must be one of ${LOG_LEVELS.join(", ")}`);
  return logLevel;
}

/**
 * `dev` mints tokens for anyone who asks: it refuses production and, unless told
 * so explicitly, any interface other than loopback (docs/OPERATIONS.md#running-modes).
 */
function checkDevSafety(
  host: string,
  insecurePublic: boolean,
  env: Readonly<Record<string, string | undefined>>,
): void {
  if (env.NODE_ENV === "production") {
    throw new Error("dev refuses NODE_ENV=production: it mints tokens for anyone (use serve --jwks-url)");
  }
  if (!LOOPBACK_HOSTS.includes(host) && !insecurePublic) {
    throw new Error(
      `dev binds loopback only; --host ${host} needs --insecure-dev-public (anyone who reaches it can mint tokens)`,
    );
  }
}

/** `https://app.example,http://localhost:5173` → exact origins; anything else is one error line. */
export function parseOrigins(list: string, flag: string): string[] {
  return list
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean)
    .map((o) => {
      let url: URL;
      try {
        url = new URL(o);
      } catch {
        throw new Error(`--${flag}: ${o} is not an origin`);
      }
      if ((url.protocol !== "http:" && url.protocol !== "https:") || url.origin !== o.replace(/\/$/, "")) {
        throw new Error(`--${flag}: ${o} is not an http(s) origin (scheme://host[:port])`);
      }
      return url.origin;
    });
}
