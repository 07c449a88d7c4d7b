// The `@collabblocks/client/e2ee` entry: end-to-end encrypted presence (docs/E2EE.md). A separate
// entry so that apps without encryption never bundle it (docs/E2EE.md#using-it):
//
//   import { encryptedPresence } from "@collabblocks/client/e2ee";
//   client.enterRoom("doc-1", { initialPresence, encryption: encryptedPresence({ key }) });
export { NONCE_BYTES, TAG_BYTES } from "./e2ee-envelope.js";
export { DEFAULT_POSITION_FIELD } from "./e2ee-fields.js";
export {
  FIXED_KEY_ID,
  MAX_CACHED_KEYS,
  MAX_KEY_ID,
  type PresenceKey,
  type PresenceKeyResolver,
  type PresenceKeySource,
} from "./e2ee-keys.js";
export { type EncryptedPresenceOptions, encryptedPresence } from "./room-crypto.js";
export { SEALED_VERSION } from "./sealed-header.js";
