export {
  type BackoffSchedule,
  backoffDelay,
  NOW_SPREAD_MS,
  RECONNECT_BACKOFF,
  retryDelay,
  SLOW_BACKOFF,
} from "./backoff.js";
export {
  batchFrameFromEntries,
  DEFAULT_MAX_DECODE_BYTES,
  decodeAny,
  decodeBatchEntries,
  decodeClientMessage,
  decodePeers,
  decodeServerMessage,
  encode,
  encodeBatchEntries,
  encodeBatchEntry,
  encodedPeerSize,
  encodePeer,
  encodePeers,
  packValue,
  roomEntries,
  unpackValue,
} from "./codec.js";
export {
  type AliasAssigner,
  type AliasSource,
  createAliasAssigner,
  encodeBatchEntryRev3,
  encodePeerRev3,
} from "./compact-encode.js";
export { type AliasedConnection, createEntryAliasTable, type EntryAliasTable } from "./entry-aliases.js";
export {
  ERRORS,
  type ErrorCode,
  type ErrorSpec,
  isErrorCode,
  ProtocolError,
  type RetryPolicy,
} from "./errors.js";
export { validateEvent } from "./event.js";
export { isPlainObject, type Json, type JsonObject, jsonEqual, setOwn } from "./json.js";
export * from "./limits.js";
export {
  ALIAS_REVISION,
  type AuthMessage,
  assertNever,
  type BatchEntry,
  type BatchMessage,
  type BroadcastMessage,
  type ClientBatchEntry,
  type ClientMessage,
  type EnterEntry,
  type ErrorMessage,
  type EventMessage,
  type HideEntry,
  KEEPALIVE_PING,
  KEEPALIVE_PONG,
  type LeaveEntry,
  type LeaveReason,
  type Message,
  MessageType,
  type OccupancyMessage,
  type PeerLostMessage,
  type PeerState,
  type PingMessage,
  type PongMessage,
  PROTOCOL_REVISION,
  RATIO_REVISION,
  type RelayedMessage,
  type RttReportMessage,
  type ServerMessage,
  type SetViewMessage,
  type SnapshotChunkMessage,
  type SnapshotDoneMessage,
  type SyncRequestMessage,
  type UpdateEntry,
  type UpdatePresenceMessage,
  type WelcomeLimits,
  type WelcomeMessage,
} from "./messages.js";
export { compactMsgpack, type MsgpackBackend, msgpack, useMsgpack } from "./msgpack.js";
export { msgpackrBackend } from "./msgpack-msgpackr.js";
export { applyPatch, compareVersions, composePatches, EMPTY_PATCH, patchFromPartial } from "./patch.js";
export { type Patch, type PresenceData, RESERVED_KEYS, type Version } from "./presence-types.js";
export {
  type ApplyOutcome,
  MAX_FLOORS,
  PresenceReplica,
  peerStatesEqual,
  type SnapshotChange,
} from "./replica.js";
export {
  byteStringToBytes,
  bytesToByteString,
  isByteString,
  SEALED_FIELD_INDEX,
  SEALED_KEY,
} from "./sealed.js";
export { decodeSealedValues, encodeSealedValues } from "./sealed-values.js";
export { chunkSnapshot } from "./snapshot.js";
export { stateFromWire, stateToWire, valueFromWire } from "./state-codec.js";
export * from "./subprotocol.js";
export {
  applyValidatedPatch,
  assertJson,
  encodedPatchSize,
  encodedStateSize,
  validatePatch,
  validateState,
} from "./validate.js";
export * from "./view.js";
export { decodeViewParam, encodeViewParam, MAX_VIEW_PARAM_LENGTH } from "./view-param.js";
