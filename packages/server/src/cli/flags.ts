// CLI flags (docs/OPERATIONS.md#running-modes): one table drives parsing, env fallbacks and --help.
// Every flag also reads COLLABBLOCKS_<FLAG_IN_UPPER_SNAKE>; a flag on the command
// line wins over the environment. Parsing is pure (argv and env in, config or one
// error line out) so it is unit-tested without spawning processes.
import { DEFAULT_LARGE_ROOM_THRESHOLD } from "@collabblocks/protocol";
import type { RedisTarget } from "../bus/redis/redis-target.js";
import {
  DEFAULT_MAX_CONNS_PER_IP,
  DEFAULT_MAX_CONNS_PER_USER,
  DEFAULT_MAX_ROOM_CONNECTIONS,
  DEFAULT_TICK_MS,
} from "../edge/edge-defaults.js";
import { DEFAULT_TRUSTED_PROXIES } from "../limits/client-address.js";
import {
  ADMIN_PORT_PUBLIC,
  type AdminPort,
  DEFAULT_ADMIN_HOST,
  DEFAULT_ADMIN_PORT,
  parseAdminPort,
} from "../ops/admin-server.js";
import { LOG_LEVELS } from "../ops/logger.js";
import { DEFAULT_MAX_ROOMS } from "../pod/presence-manager.js";
import { parseNameList } from "../rollout/gates.js";
import { checkShadowRoomPrefix, DEFAULT_SHADOW_MAX_CONNECTIONS } from "../rollout/shadow.js";
import {
  checkEdgeOnly,
  parseOrigins,
  readAdminPort,
  readDevFlags,
  readJwksUrl,
  readLogLevel,
  readPodId,
  readPods,
  readRedis,
  readShadowTo,
  readTrustedProxies,
  readWorkerLink,
} from "./flag-rules.js";
import { type Command, describeDefault, envName, type FlagSpec } from "./flag-spec.js";
import { type FlagValues, flagGetter, readArgv, readEnv, type ValueOf } from "./flag-values.js";

export { LOOPBACK_HOSTS } from "./flag-rules.js";
export {
  COMMANDS,
  type Command,
  defaultFor,
  describeDefault,
  envName,
  type FlagDefault,
  type FlagSpec,
} from "./flag-spec.js";

export interface CliConfig {
  readonly command: Command;
  readonly port: number;
  readonly host: string;
  /** `--admin-port`: where /metrics is served (docs/OPERATIONS.md#admin-port); `public` = on `port`. */
  readonly adminPort: AdminPort;
  /** `--admin-host`: the admin server's interface. */
  readonly adminHost: string;
  readonly jwksUrl: string | undefined;
  readonly tickMs: number;
  readonly maxRooms: number;
  readonly maxRoomConnections: number;
  readonly maxConnsPerIp: number;
  readonly maxConnsPerUser: number;
  /** Peers whose X-Forwarded-For names the client (CIDRs; empty = none). */
  readonly trustedProxies: readonly string[];
  /** Browser origins allowed to open sockets (`--allowed-origins`); undefined = any. */
  readonly allowedOrigins: readonly string[] | undefined;
  /** Rooms above this many connections send views, not everyone, to connections without one. */
  readonly largeRoomThreshold: number;
  /** Inline CIDR list, or `@path` to a file re-read on SIGHUP. */
  readonly denyIps: string | undefined;
  readonly logLevel: string;
  readonly staticDir: string | undefined;
  /** `--redis` or `--redis-cluster`: scaled mode, rooms shared through Redis. */
  readonly redis: RedisTarget | undefined;
  /** `--pod-id`; undefined = unique per process (host-pid-start). */
  readonly podId: string | undefined;
  /** `pod`: the gRPC port edges connect to (`--grpc-port`). */
  readonly grpcPort: number;
  /** `edge`: host:port of every pod (`--pods`). */
  readonly pods: readonly string[] | undefined;
  /** `pod`: the Workers edge it serves too (`--worker-url` + `--worker-link-secret`, docs/EDGE-WORKERS.md#the-pod-link). */
  readonly workerLink: { readonly workerUrl: string; readonly secret: string } | undefined;
  /** Rollout gates: JSON file re-read on SIGHUP and when it changes (`--gates-file`). */
  readonly gatesFile: string | undefined;
  /** Rollout gates: plans always allowed (`--allow-plans`); undefined = plans not gated by flag. */
  readonly allowPlans: readonly string[] | undefined;
  /** Rollout gates: organisations always allowed (`--allow-orgs`). */
  readonly allowOrgs: readonly string[] | undefined;
  /** Shadow traffic: staging's base ws(s) URL (`--shadow-to`), without a trailing slash. */
  readonly shadowTo: string | undefined;
  /** Shadow traffic: ES256 private key file (PEM or JWK) staging's JWKS trusts. */
  readonly shadowTokenKey: string | undefined;
  readonly shadowKid: string | undefined;
  readonly shadowRoomPrefix: string | undefined;
  /** Shadow traffic: mirror sockets at most. */
  readonly shadowMaxConnections: number;
  /** `dev` on a non-loopback interface, knowingly (`--insecure-dev-public`). */
  readonly insecureDevPublic: boolean;
  /** Origins besides loopback ones that may call the dev token endpoint (`--dev-allow-origin`). */
  readonly devAllowOrigins: readonly string[];
}

/** `collabblocks` listens here unless told otherwise (`--port`). */
export const DEFAULT_PORT = 8787;
/** A pod's gRPC port for edges (`--grpc-port`). */
export const DEFAULT_GRPC_PORT = 8788;

export const FLAGS: readonly FlagSpec[] = [
  {
    name: "port",
    kind: "int",
    min: 0,
    max: 65535,
    help: "HTTP + WebSocket port; 0 = a free port",
    default: { value: DEFAULT_PORT },
  },
  {
    name: "host",
    kind: "string",
    help: "interface to bind",
    default: { byCommand: { dev: "127.0.0.1", serve: "0.0.0.0", pod: "0.0.0.0", edge: "0.0.0.0" } },
  },
  {
    name: "admin-port",
    kind: "string",
    parse: parseAdminPort,
    help: `GET /metrics here on --admin-host, 404 on --port; 0 = a free port; ${ADMIN_PORT_PUBLIC} = on --port`,
    default: {
      byCommand: {
        dev: ADMIN_PORT_PUBLIC,
        serve: DEFAULT_ADMIN_PORT,
        pod: DEFAULT_ADMIN_PORT,
        edge: DEFAULT_ADMIN_PORT,
      },
    },
  },
  {
    name: "admin-host",
    kind: "string",
    help: "interface the admin port binds (needs --admin-port N)",
    default: { value: DEFAULT_ADMIN_HOST },
  },
  { name: "jwks-url", kind: "url", help: "JWKS URL for ES256 token keys (required for serve)" },
  {
    name: "tick-ms",
    kind: "int",
    min: 1,
    max: 1000,
    help: "longest wait before a room flush, ms",
    default: { value: DEFAULT_TICK_MS },
  },
  {
    name: "max-rooms",
    kind: "int",
    min: 1,
    help: "rooms kept in memory, LRU",
    default: { value: DEFAULT_MAX_ROOMS },
  },
  {
    name: "max-room-connections",
    kind: "int",
    min: 1,
    help: "connections per room in this process",
    default: { value: DEFAULT_MAX_ROOM_CONNECTIONS },
  },
  {
    name: "max-conns-per-ip",
    kind: "int",
    min: 0,
    help: "live connections per client address; 0 = unlimited",
    default: {
      byCommand: {
        dev: 0,
        serve: DEFAULT_MAX_CONNS_PER_IP,
        pod: DEFAULT_MAX_CONNS_PER_IP,
        edge: DEFAULT_MAX_CONNS_PER_IP,
      },
    },
  },
  {
    name: "max-conns-per-user",
    kind: "int",
    min: 0,
    help: "live connections per token subject (user); 0 = unlimited",
    default: {
      byCommand: {
        dev: 0,
        serve: DEFAULT_MAX_CONNS_PER_USER,
        pod: DEFAULT_MAX_CONNS_PER_USER,
        edge: DEFAULT_MAX_CONNS_PER_USER,
      },
    },
  },
  {
    name: "trusted-proxies",
    kind: "string",
    help: "CIDRs of reverse proxies whose X-Forwarded-For names the client; none = trust no one",
    default: { value: DEFAULT_TRUSTED_PROXIES.join(",") },
  },
  {
    name: "allowed-origins",
    kind: "string",
    help: "browser origins (scheme://host[:port], comma separated) allowed to open sockets; others get 403",
    default: { text: "any origin" },
  },
  {
    name: "large-room-threshold",
    kind: "int",
    min: 1,
    help: "connections above which a room sends connections without a view only occupancy and a roster sample",
    default: { value: DEFAULT_LARGE_ROOM_THRESHOLD },
  },
  { name: "deny-ips", kind: "string", help: "CIDR list refused at upgrade, or @file (re-read on SIGHUP)" },
  { name: "log-level", kind: "string", help: LOG_LEVELS.join("|"), default: { value: "info" } },
  {
    name: "static-dir",
    kind: "string",
    help: "directory served at /",
    default: { text: "dev: the demo build if present" },
  },
  {
    name: "redis",
    kind: "string",
    help: "Redis URL (redis://host:port): scaled mode, rooms shared via Redis",
  },
  {
    name: "redis-cluster",
    kind: "string",
    help: "Redis Cluster seed nodes host:port,…: scaled mode on a cluster",
  },
  {
    name: "pod-id",
    kind: "string",
    help: "this pod's id = its Redis consumer group",
    default: { text: "host-pid-start, unique per process" },
  },
  {
    name: "grpc-port",
    kind: "int",
    min: 0,
    max: 65535,
    help: "pod: gRPC port for edges; 0 = a free port",
    default: { value: DEFAULT_GRPC_PORT },
  },
  {
    name: "pods",
    kind: "string",
    help: "edge: host:port,… of the pods' gRPC ports (rooms go to live pods by rendezvous hashing)",
  },
  {
    name: "worker-url",
    kind: "string",
    help: "pod: base http(s) URL of the Workers edge (packages/edge-worker) whose rooms may ask this pod to connect",
  },
  {
    name: "worker-link-secret",
    kind: "string",
    help: "pod: shared secret of the Workers link, the Worker's LINK_SECRET (set it in the environment)",
  },
  {
    name: "gates-file",
    kind: "string",
    help: 'rollout gates, JSON {"plans":[…],"orgs":[…],"mode":"any"|"all"}; re-read on SIGHUP and on change',
  },
  {
    name: "allow-plans",
    kind: "string",
    help: "rollout gates: plans always allowed, comma-separated (others: PLAN_NOT_ENABLED)",
  },
  {
    name: "allow-orgs",
    kind: "string",
    help: "rollout gates: organisations (JWT org) always allowed, comma-separated",
  },
  {
    name: "shadow-to",
    kind: "string",
    help: "mirror accepted presence, best-effort, to a staging deployment: ws(s)://host:port",
  },
  {
    name: "shadow-token-key",
    kind: "string",
    help: "shadow: ES256 private key file (PEM or JWK) whose public part is in staging's JWKS",
  },
  {
    name: "shadow-kid",
    kind: "string",
    help: "shadow: kid of that key in staging's JWKS",
    default: { text: "the JWK's kid" },
  },
  {
    name: "shadow-room-prefix",
    kind: "string",
    help: "shadow: prepended to mirrored room ids",
  },
  {
    name: "shadow-max-connections",
    kind: "int",
    min: 1,
    help: "shadow: mirror sockets at most; more connections are not mirrored",
    default: { value: DEFAULT_SHADOW_MAX_CONNECTIONS },
  },
  {
    name: "insecure-dev-public",
    kind: "switch",
    help: "dev: allow a non-loopback --host (anyone who reaches it can mint tokens)",
    default: { value: "false" },
  },
  {
    name: "dev-allow-origin",
    kind: "string",
    help: "dev: origins besides localhost/127.0.0.1/[::1] that may call POST /v1/dev/token, comma-separated",
  },
];

function helpLine(f: FlagSpec): string {
  const shown = f.default === undefined ? f.help : `${f.help} (default ${describeDefault(f.default)})`;
  return `  --${f.name.padEnd(22)} ${shown}\n  ${"".padEnd(24)} env ${envName(f.name)}`;
}

export const HELP = `collabblocks — realtime presence server

Usage:
  collabblocks dev   [flags]   one process, dev auth (POST /v1/dev/token), binds 127.0.0.1
  collabblocks serve --jwks-url URL [flags]   one process, production auth
  collabblocks serve --jwks-url URL --redis URL [flags]   scaled: N processes share rooms through Redis
  collabblocks pod --grpc-port P --redis URL [flags]   split: a pod (room state), gRPC for edges on P
  collabblocks edge --jwks-url URL --pods host:port,… [flags]   split: an edge (WebSockets) over the pods
  collabblocks keys [--out DIR] [--kid ID]   an ES256 signing key for your backend and its jwks.json
  collabblocks --help

Flags (each also from the environment variable shown):
${FLAGS.map(helpLine).join("\n")}

Endpoints: GET /healthz, /readyz; WebSocket /v1/rooms/{roomId}?token=JWT (on --port);
  GET /metrics on --admin-host:--admin-port (on --port with --admin-port ${ADMIN_PORT_PUBLIC}, dev's default)
Ready: one JSON line on stdout
  {"event":"listening","role":"all","url":"http://HOST:PORT","bind":"HOST","metrics":"http://HOST:P/metrics"}
  (role "pod" or "edge" in split mode; a pod adds "grpc":"HOST:P")
`;

export type ParseResult =
  | { readonly kind: "run"; readonly config: CliConfig }
  | { readonly kind: "help" }
  | { readonly kind: "error"; readonly message: string };

/** argv and the environment in, a config or one error line out; nothing else is read. */
export function parseCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ParseResult {
  try {
    const read = readArgv(argv, FLAGS);
    if (read.kind === "help") return read;
    const { command, values } = read;
    readEnv(values, env, FLAGS);
    return { kind: "run", config: toConfig(command, values, flagGetter(values, FLAGS, command), env) };
  } catch (err) {
    return { kind: "error", message: (err as Error).message };
  }
}

/** The rules between flags run in this order (flag-rules.ts), then each field is read. Throws Error. */
function toConfig(
  cmd: Command,
  values: FlagValues,
  get: ValueOf,
  env: Readonly<Record<string, string | undefined>>,
): CliConfig {
  const jwksUrl = readJwksUrl(cmd, values);
  const pods = readPods(cmd, values);
  const redis = readRedis(values);
  const podId = readPodId(values);
  const workerLink = readWorkerLink(cmd, values);
  checkEdgeOnly(cmd, values);
  const shadowTo = readShadowTo(values);
  const { insecureDevPublic, devAllowOrigins } = readDevFlags(cmd, values, get, env);
  const trustedProxies = readTrustedProxies(get);
  const allowedOrigins = values.has("allowed-origins")
    ? parseOrigins(values.get("allowed-origins") as string, "allowed-origins")
    : undefined;
  const adminPort = readAdminPort(cmd, values, get);
  const logLevel = readLogLevel(get);
  const list = (name: string) =>
    values.has(name) ? parseNameList(values.get(name) as string, `--${name}`) : undefined;
  const prefix = values.get("shadow-room-prefix") as string | undefined;
  return {
    command: cmd,
    port: get("port"),
    host: get("host"),
    adminPort,
    adminHost: get("admin-host"),
    jwksUrl,
    tickMs: get("tick-ms"),
    maxRooms: get("max-rooms"),
    maxRoomConnections: get("max-room-connections"),
    maxConnsPerIp: get("max-conns-per-ip"),
    maxConnsPerUser: get("max-conns-per-user"),
    trustedProxies,
    allowedOrigins,
    largeRoomThreshold: get("large-room-threshold"),
    denyIps: values.get("deny-ips") as string | undefined,
    logLevel,
    staticDir: values.get("static-dir") as string | undefined,
    redis,
    podId,
    workerLink,
    grpcPort: get("grpc-port"),
    pods,
    gatesFile: values.get("gates-file") as string | undefined,
    allowPlans: list("allow-plans"),
    allowOrgs: list("allow-orgs"),
    shadowTo,
    shadowTokenKey: values.get("shadow-token-key") as string | undefined,
    shadowKid: values.get("shadow-kid") as string | undefined,
    shadowRoomPrefix: prefix === undefined ? undefined : checkShadowRoomPrefix(prefix),
    shadowMaxConnections: get("shadow-max-connections"),
    insecureDevPublic,
    devAllowOrigins,
  };
}
