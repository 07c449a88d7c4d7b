// What a room needs from encrypted presence (docs/E2EE.md): its types are in types.ts
// (EncryptionOptions, RoomCrypto); the implementation is the `@collabblocks/client/e2ee` entry
// (e2ee.ts), which the app imports and passes as `enterRoom(…, { encryption:
// encryptedPresence({ key }) })`, so apps without encryption never bundle it
// (docs/E2EE.md#using-it). Without it, a room still shows peers' sealed fields as `Locked`
// (sealed-inbound.ts).
import type { EncryptionOptions } from "./types.js";

/** TypeError at once for anything that is not what encryptedPresence() returns. */
export function checkEncryption(value: unknown): EncryptionOptions {
  if (typeof (value as Partial<EncryptionOptions> | null)?.createRoomCrypto !== "function") {
    throw new TypeError(
      'encryption must be encryptedPresence({ key, fields? }) from "@collabblocks/client/e2ee"',
    );
  }
  return value as EncryptionOptions;
}
