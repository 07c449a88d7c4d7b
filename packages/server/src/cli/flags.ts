// CLI flags (docs/OPERATIONS.md#running-modes): one table drives parsing, env fallbacks and --help.
// Every flag also reads COLLABBLOCKS_<FLAG_IN_UPPER_SNAKE>; a flag on the command
// line wins over the environment. Parsing is pure (argv and env in, config or one
// error line out) so it is unit-tested without spawning processes.
import { DEFAULT_LARGE_ROOM_THRESHOLD } from "@collabblocks/protocol";
import { checkPodId, parseClusterNodes, parseRedisUrl, type RedisTarget } from "../bus/redis/redis-target.js";
import {
  DEFAULT_MAX_CONNS_PER_IP,
  DEFAULT_MAX_CONNS_PER_USER,
  DEFAULT_MAX_ROOM_CONNECTIONS,
  DEFAULT_TICK_MS,
} from "../edge/edge-defaults.js";
import { DEFAULT_TRUSTED_PROXIES, parseTrustedProxies } from "../limits/client-address.js";
import { splitCidrText } from "../limits/ip-filter.js";
import {
  ADMIN_PORT_PUBLIC,
  type AdminPort,
  checkAdminPort,
  DEFAULT_ADMIN_HOST,
  DEFAULT_ADMIN_PORT,
  parseAdminPort,
} from "../ops/admin-server.js";
import { isLogLevel, LOG_LEVELS } from "../ops/logger.js";
import { DEFAULT_MAX_ROOMS } from "../pod/presence-manager.js";
import { parseNameList } from "../rollout/gates.js";
import {
  checkShadowRoomPrefix,
  DEFAULT_SHADOW_MAX_CONNECTIONS,
  parseShadowTarget,
} from "../rollout/shadow.js";
import { parsePodList } from "../rpc/pod-router.js";

export type Command = "dev" | "serve" | "pod" | "edge";
export const COMMANDS: readonly Command[] = ["dev", "serve", "pod", "edge"];

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

/** Smallest Workers link secret, characters: it is all that guards the pod's dial endpoint. */
const MIN_LINK_SECRET_LENGTH = 32;

/** `--pod-id`, checked, and a pod's Workers link. */
function podFlags(
  cmd: string,
  values: ReadonlyMap<string, number | string>,
): Pick<CliConfig, "podId" | "workerLink"> {
  const podId = values.get("pod-id") as string | undefined;
  if (podId !== undefined) checkPodId(podId);
  return {
    podId,
    workerLink: parseWorkerLink(cmd, values.get("worker-url"), values.get("worker-link-secret")),
  };
}

/** `--worker-url` and `--worker-link-secret` come together, on a pod only (docs/EDGE-WORKERS.md#the-pod-link). */
function parseWorkerLink(
  cmd: string,
  url: unknown,
  secret: unknown,
): { readonly workerUrl: string; readonly secret: string } | undefined {
  if (url === undefined && secret === undefined) return undefined;
  if (cmd !== "pod") throw new Error("--worker-url and --worker-link-secret are for `collabblocks pod`");
  if (typeof url !== "string" || typeof secret !== "string") {
    throw new Error("give --worker-url and --worker-link-secret together");
  }
  if (!/^https?:\/\/[^/]+/.test(url)) throw new Error("--worker-url must be an http(s) URL");
  if (secret.length < MIN_LINK_SECRET_LENGTH) {
    throw new Error(`--worker-link-secret must have at least ${MIN_LINK_SECRET_LENGTH} characters`);
  }
  return { workerUrl: url, secret };
}

/** `switch`: a boolean flag that takes no value (`--name`, or `--name=true|false`; env `1`/`true`). */
type Kind = "int" | "string" | "url" | "switch";
type Value = number | string;

/**
 * A flag's default: one value for every command, a value per command, or a
 * description of a computed default (`text`). Absent: the flag is off/unset
 * unless given. This table is the one source: parsing, --help and the
 * docs/OPERATIONS.md check (cli/flags-doc.test.ts) all read it.
 */
export type FlagDefault =
  | { readonly value: Value }
  | { readonly byCommand: Readonly<Record<Command, Value>> }
  | { readonly text: string };

export interface FlagSpec {
  readonly name: string;
  readonly kind: Kind;
  readonly help: string;
  readonly min?: number;
  readonly max?: number;
  readonly default?: FlagDefault;
  /** A value that is not one kind (a port or `public`): parses or throws one line naming `source`. */
  readonly parse?: (raw: string, source: string) => Value;
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

/** Interfaces `dev` binds without --insecure-dev-public. */
export const LOOPBACK_HOSTS: readonly string[] = ["127.0.0.1", "::1", "localhost"];

export function envName(flag: string): string {
  return `COLLABBLOCKS_${flag.toUpperCase().replace(/-/g, "_")}`;
}

/** The default a command gets for a flag, or undefined (unset / computed elsewhere). */
export function defaultFor(spec: FlagSpec, command: Command): Value | undefined {
  const d = spec.default;
  if (d === undefined || "text" in d) return undefined;
  return "value" in d ? d.value : d.byCommand[command];
}

/** How --help and the docs show a default. */
export function describeDefault(d: FlagDefault): string {
  if ("value" in d) return String(d.value);
  if ("text" in d) return d.text;
  const groups = new Map<Value, Command[]>();
  for (const c of COMMANDS) groups.set(d.byCommand[c], [...(groups.get(d.byCommand[c]) ?? []), c]);
  return [...groups].map(([v, cs]) => `${cs.join(", ")}: ${v}`).join("; ");
}

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
function parseOrigins(list: string, flag: string): string[] {
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

export type ParseResult =
  | { readonly kind: "run"; readonly config: CliConfig }
  | { readonly kind: "help" }
  | { readonly kind: "error"; readonly message: string };

function convert(spec: FlagSpec, raw: string, source: string): number | string {
  if (spec.kind === "switch") {
    if (raw === "1" || raw === "true") return "true";
    if (raw === "0" || raw === "false") return "false";
    throw new Error(`${source} must be true or false`);
  }
  if (spec.kind === "int") {
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n))
      throw new Error(`${source} must be an integer`);
    if (spec.min !== undefined && n < spec.min) throw new Error(`${source} must be ≥ ${spec.min}`);
    if (spec.max !== undefined && n > spec.max) throw new Error(`${source} must be ≤ ${spec.max}`);
    return n;
  }
  if (spec.kind === "url") {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new Error(`${source} must be a URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`${source} must be http(s)`);
    return raw;
  }
  if (raw === "") throw new Error(`${source} must not be empty`);
  return spec.parse ? spec.parse(raw, source) : raw;
}

export function parseCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ParseResult {
  try {
    const values = new Map<string, number | string>();
    let command: string | undefined;
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      if (arg === "--help" || arg === "-h" || arg === "help") return { kind: "help" };
      if (!arg.startsWith("--")) {
        if (command !== undefined) throw new Error(`unexpected argument "${arg}"`);
        command = arg;
        continue;
      }
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq === -1 ? undefined : eq);
      const spec = FLAGS.find((f) => f.name === name);
      if (!spec) throw new Error(`unknown flag --${name} (see --help)`);
      let raw: string | undefined;
      if (eq !== -1) raw = arg.slice(eq + 1);
      else if (spec.kind === "switch") raw = "true";
      else {
        raw = argv[i + 1];
        i++;
        if (raw === undefined || raw.startsWith("--")) throw new Error(`--${name} needs a value`);
      }
      values.set(name, convert(spec, raw, `--${name}`));
    }
    if (command === undefined) return { kind: "help" };
    if (!(COMMANDS as readonly string[]).includes(command)) {
      throw new Error(`unknown command "${command}" (expected ${COMMANDS.join(" or ")})`);
    }
    for (const spec of FLAGS) {
      const raw = env[envName(spec.name)];
      if (!values.has(spec.name) && raw !== undefined && raw !== "") {
        values.set(spec.name, convert(spec, raw, envName(spec.name)));
      }
    }
    const cmd = command as Command;
    const get = <T extends Value>(name: string): T => {
      const given = values.get(name);
      if (given !== undefined) return given as T;
      const spec = FLAGS.find((f) => f.name === name);
      const fallback = spec === undefined ? undefined : defaultFor(spec, cmd);
      if (fallback === undefined) throw new Error(`internal: --${name} has no default`);
      return fallback as T;
    };
    const jwksUrl = values.get("jwks-url") as string | undefined;
    if ((cmd === "serve" || cmd === "edge") && jwksUrl === undefined) {
      throw new Error(`${cmd} needs --jwks-url (or ${envName("jwks-url")})`);
    }
    const podsSpec = values.get("pods") as string | undefined;
    if (cmd === "edge" && podsSpec === undefined) {
      throw new Error(`edge needs --pods host:port,… (or ${envName("pods")})`);
    }
    const pods = cmd === "edge" && podsSpec !== undefined ? parsePodList(podsSpec) : undefined;
    if (cmd === "edge" && (values.has("redis") || values.has("redis-cluster"))) {
      throw new Error("an edge does not use Redis: give --redis to the pods");
    }
    const redisUrl = values.get("redis") as string | undefined;
    const redisCluster = values.get("redis-cluster") as string | undefined;
    if (redisUrl !== undefined && redisCluster !== undefined) {
      throw new Error("give --redis or --redis-cluster, not both");
    }
    const redis =
      redisUrl !== undefined
        ? parseRedisUrl(redisUrl)
        : redisCluster !== undefined
          ? parseClusterNodes(redisCluster)
          : undefined;
    const { podId, workerLink } = podFlags(cmd, values);
    const edgeOnly = [
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
    const podGiven = edgeOnly.find((name) => values.has(name));
    if (cmd === "pod" && podGiven !== undefined) {
      throw new Error(`a pod has no client sockets: give --${podGiven} to the edges`);
    }
    const shadowTo = values.has("shadow-to")
      ? parseShadowTarget(values.get("shadow-to") as string)
      : undefined;
    const shadowGiven = edgeOnly
      .filter((n) => n.startsWith("shadow-") && n !== "shadow-to")
      .find((n) => values.has(n));
    if (shadowTo === undefined && shadowGiven !== undefined)
      throw new Error(`--${shadowGiven} needs --shadow-to`);
    if (shadowTo !== undefined && !values.has("shadow-token-key")) {
      throw new Error(
        "--shadow-to needs --shadow-token-key (an ES256 key whose public part is in staging's JWKS)",
      );
    }
    const list = (name: string) =>
      values.has(name) ? parseNameList(values.get(name) as string, `--${name}`) : undefined;
    const prefix = values.get("shadow-room-prefix") as string | undefined;
    const insecureDevPublic = get<string>("insecure-dev-public") === "true";
    const devGiven = ["insecure-dev-public", "dev-allow-origin"].find((n) => values.has(n));
    if (cmd !== "dev" && devGiven !== undefined) throw new Error(`--${devGiven} applies to dev only`);
    if (cmd === "dev") checkDevSafety(get<string>("host"), insecureDevPublic, env);
    const devAllowOrigins = values.has("dev-allow-origin")
      ? parseOrigins(values.get("dev-allow-origin") as string, "dev-allow-origin")
      : [];
    const trustedProxies = splitCidrText(get<string>("trusted-proxies"));
    try {
      parseTrustedProxies(trustedProxies);
    } catch (err) {
      throw new Error(`--trusted-proxies: ${(err as RangeError).message}`);
    }
    const allowedOrigins = values.has("allowed-origins")
      ? parseOrigins(values.get("allowed-origins") as string, "allowed-origins")
      : undefined;
    const adminPort = get<AdminPort>("admin-port");
    const grpcPort = cmd === "pod" ? get<number>("grpc-port") : undefined;
    checkAdminPort(adminPort, { port: get("port"), grpcPort }, values.has("admin-host"));
    const logLevel = get<string>("log-level");
    if (!isLogLevel(logLevel)) throw new Error(`--log-level must be one of ${LOG_LEVELS.join(", ")}`);
    return {
      kind: "run",
      config: {
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
        grpcPort: get("grpc-port"),
        pods,
        workerLink,
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
      },
    };
  } catch (err) {
    return { kind: "error", message: (err as Error).message };
  }
}
