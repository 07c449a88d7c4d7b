// The Redis connections of one process, whatever its room count (docs/SCALING.md#pod-and-redis-the-rules):
//  - single Redis: one command connection and one subscriber connection (2);
//  - Redis Cluster: one ioredis Cluster, which keeps a command connection per
//    master and, with `shardedSubscribers: true`, one sharded-subscriber connection
//    per master (6 on 3 masters). Without that option ioredis sends SSUBSCRIBE on
//    its single subscriber connection and gets MOVED for most slots.
// Commands fail fast instead of queueing while disconnected (`enableOfflineQueue:
// false`) and time out (`commandTimeout`), so a Redis outage or a partition never
// builds an unbounded queue: the bus notes what was lost and re-seeds it later.
import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { RedisTarget } from "./redis-target.js";

/** A command without an answer after this long fails, ms (it may still have run). */
export const COMMAND_TIMEOUT_MS = 1000;
/** Reconnect backoff: 50 ms per attempt, capped at this, ms. */
export const MAX_RECONNECT_DELAY_MS = 1000;

export type { RedisTarget };

export interface RedisClients {
  readonly target: RedisTarget;
  /** Where commands and scripts go. */
  readonly commands: Redis | Cluster;
  /** Where SSUBSCRIBE goes and `smessage` events come from (the Cluster itself on a cluster). */
  readonly subscriber: Redis | Cluster;
  /** Called after the subscriptions were (re)established: entries may have been missed. */
  onResubscribed(listener: () => void): void;
  /** True when commands can currently be sent. */
  readonly connected: boolean;
  close(): Promise<void>;
}

const reconnectDelay = (attempt: number): number => Math.min(attempt * 50, MAX_RECONNECT_DELAY_MS);

/** Options shared by every connection: fail fast, never queue while down. */
function baseOptions(name: string): RedisOptions {
  return {
    connectionName: name,
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: reconnectDelay,
    // No auto-pipelining: ioredis runs one auto-pipeline at a time per node, so a
    // wake-up's XREADGROUP would wait behind a whole in-flight pipeline (touches of
    // every room) — a round trip of added latency. The bus batches its own appends.
    enableAutoPipelining: false,
    lazyConnect: false,
  };
}

export function createRedisClients(target: RedisTarget, podId: string): RedisClients {
  const listeners: Array<() => void> = [];
  const notify = (): void => {
    for (const l of listeners) l();
  };

  if (target.kind === "single") {
    const commands = new Redis(target.url, { ...baseOptions(`cb-${podId}`), enableOfflineQueue: false });
    // The subscriber may queue its (bounded: one per room) SSUBSCRIBEs while down;
    // ioredis re-subscribes on reconnect and then emits "ready".
    const subscriber = new Redis(target.url, {
      ...baseOptions(`cb-${podId}-sub`),
      commandTimeout: undefined,
      enableOfflineQueue: true,
      autoResubscribe: true,
    });
    // Errors are reflected in command failures; the listener keeps ioredis from throwing.
    commands.on("error", () => {});
    subscriber.on("error", () => {});
    subscriber.on("ready", notify);
    return {
      target,
      commands,
      subscriber,
      onResubscribed: (l) => listeners.push(l),
      get connected() {
        return commands.status === "ready";
      },
      async close() {
        commands.disconnect();
        subscriber.disconnect();
      },
    };
  }

  const cluster = new Cluster(
    target.nodes.map((n) => ({ host: n.host, port: n.port })),
    {
      shardedSubscribers: true,
      enableOfflineQueue: false,
      enableAutoPipelining: false,
      clusterRetryStrategy: reconnectDelay,
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      redisOptions: {
        connectionName: `cb-${podId}`,
        commandTimeout: COMMAND_TIMEOUT_MS,
        maxRetriesPerRequest: 0,
      },
    },
  );
  // As for single Redis: failures surface as command failures, reported by the bus.
  cluster.on("error", () => {});
  cluster.on("nodeError", () => {});
  cluster.on("subscribersReady", notify);
  cluster.on("ready", notify);
  return {
    target,
    commands: cluster,
    subscriber: cluster,
    onResubscribed: (l) => listeners.push(l),
    get connected() {
      return cluster.status === "ready";
    },
    async close() {
      cluster.disconnect();
    },
  };
}
