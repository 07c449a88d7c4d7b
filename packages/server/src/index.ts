// Public entry of @collabblocks/server: the in-process server factory and the
// interfaces later tiers plug into (link: edge↔pod, bus: pod↔pod).
export type { BusHandler, PresenceBus } from "./bus/bus.js";
export { createMemoryBus, type MemoryBusHub, type MemoryBusOptions } from "./bus/memory-bus.js";
export { createTokenVerifier, type TokenClaims, type TokenVerifier, type VerifyResult } from "./edge/auth.js";
export { createDevIssuer, type DevIssuer, type DevTokenRequest } from "./edge/dev-issuer.js";
export type { Edge, EdgeOptions } from "./edge/edge.js";
export { createEdgeLink, type EdgeLink, type LinkTransport, type RoomListener } from "./link/edge-link.js";
export type { EdgeFrame, PodEndpoint, PodFrame, PodSession } from "./link/frames.js";
export { createInProcessLink } from "./link/in-process.js";
export { type AdminOptions, DEFAULT_ADMIN_HOST, DEFAULT_ADMIN_PORT } from "./ops/admin-server.js";
export { createLogger, createSilentLogger } from "./ops/logger.js";
export { createMetrics, type Metrics, type ServerStats } from "./ops/metrics.js";
export { defaultPodId } from "./ops/process-id.js";
export { createPod, type Pod, type PodOptions } from "./pod/pod.js";
export { createPresenceManager, type PresenceManager } from "./pod/presence-manager.js";
export type { PresenceShard } from "./pod/presence-shard.js";
export {
  createPresenceServer,
  type PresenceServer,
  type PresenceServerOptions,
} from "./roles/presence-server.js";
export { createGrpcEdgeLink, type GrpcEdgeLink, type GrpcEdgeLinkOptions } from "./rpc/grpc-link.js";
export {
  createPodConnection,
  type PodConnection,
  type PodConnectionOptions,
  RECONNECT_BACKOFF_MS,
} from "./rpc/pod-connection.js";
export { createPodRouter, type PodRouter, type PodRouterOptions, parsePodList } from "./rpc/pod-router.js";
export { createPodRpcServer, type PodRpcServer, type PodRpcServerOptions } from "./rpc/pod-rpc-server.js";
export { PROTO_PATH } from "./rpc/proto.js";
export { pickPod } from "./rpc/rendezvous.js";
