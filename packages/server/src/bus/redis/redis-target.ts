// Where the Redis bus connects, parsed from `--redis` / `--redis-cluster`
// (docs/OPERATIONS.md#running-modes). Kept free of ioredis so the CLI's flag parsing stays pure and fast; every
// problem is one line, which the CLI prints before exiting 2.

export type RedisTarget =
  | { readonly kind: "single"; readonly url: string }
  | { readonly kind: "cluster"; readonly nodes: readonly { readonly host: string; readonly port: number }[] };

/** Checks a `--redis` URL: `redis://[user:pass@]host[:port][/db]` or `rediss://…`. */
export function parseRedisUrl(raw: string, source = "--redis"): RedisTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${source} must be a redis:// or rediss:// URL`);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new Error(`${source} must be a redis:// or rediss:// URL`);
  }
  if (!url.hostname) throw new Error(`${source} needs a host`);
  return { kind: "single", url: raw };
}

/** Parses `host:port,host:port,…` (seed nodes; the rest are discovered). */
export function parseClusterNodes(spec: string, source = "--redis-cluster"): RedisTarget {
  const nodes = spec
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const at = s.lastIndexOf(":");
      const host = at > 0 ? s.slice(0, at).replace(/^\[|\]$/g, "") : "";
      const portText = s.slice(at + 1);
      const port = Number(portText);
      if (!host || !/^\d+$/.test(portText) || port < 1 || port > 65_535) {
        throw new Error(`${source}: "${s}" is not host:port`);
      }
      return { host, port };
    });
  if (nodes.length === 0) throw new Error(`${source} needs at least one host:port`);
  return { kind: "cluster", nodes };
}

/** Pod ids name consumer groups and stream origins; "sweeper" and "redis" are taken by the bus. */
const POD_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const RESERVED_POD_IDS = new Set(["sweeper", "redis"]);

/** Checks a `--pod-id`; throws a one-line Error. */
export function checkPodId(podId: string, source = "--pod-id"): string {
  if (!POD_ID_PATTERN.test(podId)) throw new Error(`${source} must match ${POD_ID_PATTERN.source}`);
  if (RESERVED_POD_IDS.has(podId)) throw new Error(`${source} "${podId}" is reserved`);
  return podId;
}
