// The parts of the Node edge that run unchanged in a Cloudflare Worker
// (docs/EDGE-WORKERS.md#what-the-do-edge-reuses): pure functions and plain-object
// state machines with no socket server, no process and no Node-only module
// beyond `node:crypto`'s createHash (Workers' nodejs_compat). packages/edge-worker
// imports them from `@collabblocks/server/portable`, so both edges apply the same
// rules from one source.
export { type Admission, admit } from "./edge/admission.js";
export { createTokenVerifier, type TokenClaims, type TokenVerifier } from "./edge/auth.js";
export { type ConnectRequest, parseConnectUrl, ROOMS_PATH_PREFIX } from "./edge/connect-url.js";
export {
  announce,
  type Connection,
  type ConnectionHooks,
  createConnection,
  ENTER_DEFER_MS,
  type EndMode,
  endModeOfClose,
  errorFrame,
  eventOf,
  handleMessage,
  leaveEntry,
  peerLostOf,
} from "./edge/connection.js";
export { createFlushScheduler, type FlushTimers } from "./edge/flush-scheduler.js";
export { deriveConnectionId, isDerivedConnectionId } from "./edge/identity.js";
export { KNOWN_CONNECTION_RETENTION_MS, type KnownConnection } from "./edge/known-connections.js";
export { livenessBoundMs } from "./edge/liveness.js";
export { welcomeFrame } from "./edge/welcome.js";
export { drainQueue, type EntryQueue, enqueueEntry } from "./limits/coalesce.js";
export { createStallMonitor, type StallMonitor } from "./limits/stall-monitor.js";
export type { EdgeFrame, PodFrame } from "./link/frames.js";
export {
  DIAL_PATH_PREFIX,
  decodePodFrame,
  encodeEdgeFrame,
  LINK_PATH_PREFIX,
  sameSecret,
} from "./link/ws-frames.js";
export { buildGates, type Gates, gateRefusal, parseGatesJson } from "./rollout/gates.js";
export { pickPod, rankPods } from "./rpc/rendezvous.js";
