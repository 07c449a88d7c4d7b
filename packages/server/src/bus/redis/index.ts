// The Redis bus's public surface: what the CLI and tests need to run scaled mode.
export { createErrorThrottle, type ErrorThrottle } from "./error-throttle.js";
export { createRedisBus, REDIS_BUS_DEFAULTS, type RedisBus, type RedisBusOptions } from "./redis-bus.js";
export { createRedisClients, type RedisClients } from "./redis-clients.js";
export { checkPodId, parseClusterNodes, parseRedisUrl, type RedisTarget } from "./redis-target.js";

import type { Clock } from "../../ops/clock.js";
import { createRedisBus, type RedisBus } from "./redis-bus.js";
import { createRedisClients } from "./redis-clients.js";
import type { RedisTarget } from "./redis-target.js";

/** Opens this process's Redis connections (2 on single Redis, 2 per master on a cluster) and the bus over them. */
export function connectRedisBus(
  target: RedisTarget,
  podId: string,
  onError?: (err: unknown, context: string) => void,
  clock?: Clock,
): RedisBus {
  return createRedisBus({ podId, clients: createRedisClients(target, podId), onError, clock });
}
