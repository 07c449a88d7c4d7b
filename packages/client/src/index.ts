export {
  BACKOFF_JITTER,
  BACKOFF_MS,
  NOW_SPREAD_MS,
  RESTART_PROBE_MS,
  RESTART_WINDOW_MS,
  SLOW_BACKOFF_MS,
} from "./backoff.js";
export {
  type ClientOptions,
  createClient,
  DEFAULT_LOST_CONNECTION_TIMEOUT_MS,
  DEFAULT_THROTTLE_MS,
  MAX_THROTTLE_MS,
  MIN_THROTTLE_MS,
} from "./client.js";
export {
  CONNECT_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_MS,
  HEARTBEAT_MISSES,
  RENEW_BEFORE_MS,
} from "./connection.js";
export { isLocked, type Locked } from "./locked.js";
export { RESERVE_TOKENS } from "./rate-budget.js";
export { SYNC_MIN_INTERVAL_MS } from "./resync.js";
export { DEFAULT_VIEW_FIELD, toViewSpec, VIEW_SEND_INTERVAL_MS } from "./room-view.js";
export { RTT_REPORT_INTERVAL_MS } from "./rtt-tracker.js";
export { MAX_TRACKED_SENDERS } from "./sealed-inbound.js";
export type { WebSocketConstructor, WebSocketLike } from "./socket.js";
export { type Readable, type RoomStores, roomReadable, roomStores } from "./stores.js";
export type { TimerHandle, Timers } from "./timers.js";
export { type AuthCallback, AuthError, type FetchLike } from "./token-source.js";
export type {
  Client,
  ClientErrorCode,
  DecryptError,
  DecryptErrorCode,
  EncryptionOptions,
  EnterRoomOptions,
  EnterRoomResult,
  Json,
  LostConnectionEvent,
  Occupancy,
  OthersEvent,
  PresenceError,
  PresenceUser,
  Room,
  RoomCrypto,
  RoomCryptoContext,
  RoomEvent,
  RoomEvents,
  Status,
  User,
  ViewInput,
} from "./types.js";
export { validatePresenceUpdate } from "./validate-update.js";
export type { VisibilitySource } from "./visibility.js";
export type { WakeSource } from "./wake.js";
