// Encrypted presence for one room (docs/E2EE.md): `encryptedPresence()` checks the options once,
// and each room session gets the sealer, the opener and the local checks that room.ts calls
// through the RoomCrypto interface (room-encryption.ts).
import { MAX_STATE_BYTES } from "@collabblocks/protocol";
import { subtle } from "./e2ee-envelope.js";
import { createFieldPolicy, DEFAULT_POSITION_FIELD, sealedStateSize } from "./e2ee-fields.js";
import { createKeyRing, isAesGcm256, type PresenceKeySource } from "./e2ee-keys.js";
import { createOpener } from "./e2ee-open.js";
import { createSealer } from "./e2ee-seal.js";
import type { EncryptionOptions, RoomCrypto, RoomCryptoContext } from "./types.js";

/** End-to-end encrypted presence for one room (docs/E2EE.md). */
export interface EncryptedPresenceOptions {
  /** An AES-GCM-256 CryptoKey (key id 0), or a resolver: `() => current { key, id }`, `(id) => key with that id`. */
  readonly key: PresenceKeySource;
  /**
   * The sealed fields. Default: every field except the view's position field (`view.field`,
   * default `cursor`), which stays clear so the server can still filter views by position.
   */
  readonly fields?: readonly string[];
}

/** What `enterRoom`'s `encryption` takes. Checks the options at once (TypeError on misuse). */
export function encryptedPresence(options: EncryptedPresenceOptions): EncryptionOptions {
  if (typeof options !== "object" || options === null)
    throw new TypeError("encryptedPresence needs { key, fields? }");
  subtle(); // throws TypeError without WebCrypto
  const { key, fields } = options;
  if (typeof key !== "function" && !isAesGcm256(key)) {
    throw new TypeError("key must be an AES-GCM-256 CryptoKey or a function returning { key, id }");
  }
  if (
    fields !== undefined &&
    (!Array.isArray(fields) || !fields.every((f) => typeof f === "string" && f !== ""))
  ) {
    throw new TypeError("fields must be an array of field names");
  }
  return { createRoomCrypto: (context) => createRoomCrypto(key, fields, context) };
}

function createRoomCrypto(
  source: PresenceKeySource,
  fields: readonly string[] | undefined,
  context: RoomCryptoContext,
): RoomCrypto {
  const policy = createFieldPolicy(fields, context.positionField ?? DEFAULT_POSITION_FIELD);
  const keys = createKeyRing(source);
  const sealer = createSealer({
    roomId: context.roomId,
    policy,
    keys,
    connectionId: context.connectionId,
    epoch: context.epoch,
  });
  const opener = createOpener({
    roomId: context.roomId,
    policy,
    keys,
    selfId: context.connectionId,
    onError: context.onDecryptError,
  });
  return {
    seal: (patch, state) => sealer.seal(patch, state),
    open: (msg) => opener.prepare(msg),
    check(state) {
      const problem = policy.problem(state);
      if (problem !== null) return { code: "INVALID_PRESENCE", message: problem, fatal: false };
      const size = sealedStateSize(state, policy, sealer.sizing());
      if (size <= MAX_STATE_BYTES) return null;
      const message = `presence is about ${size} bytes encoded once sealed; the limit is ${MAX_STATE_BYTES}`;
      return { code: "PRESENCE_TOO_LARGE", message, fatal: false };
    },
  };
}
