// Encrypted presence for one room (docs/E2EE.md): the options checked once at enterRoom,
// then the sealer, the opener and the local checks that room.ts calls.
import { MAX_STATE_BYTES, type Patch, type PresenceData } from "@collabblocks/protocol";
import { subtle } from "./e2ee-envelope.js";
import {
  createFieldPolicy,
  DEFAULT_POSITION_FIELD,
  type FieldPolicy,
  sealedStateSize,
} from "./e2ee-fields.js";
import { createKeyRing, isAesGcm256, type PresenceKeySource } from "./e2ee-keys.js";
import { createOpener, type Inbound } from "./e2ee-open.js";
import { createSealer } from "./e2ee-seal.js";
import type { DecryptError, EncryptionOptions, PresenceError } from "./types.js";

export interface EncryptionConfig {
  readonly key: PresenceKeySource;
  readonly policy: FieldPolicy;
}

/** Checks `encryption` options (TypeError on misuse, at once). `positionField`: the initial view's field. */
export function encryptionConfig(
  options: EncryptionOptions,
  positionField = DEFAULT_POSITION_FIELD,
): EncryptionConfig {
  if (typeof options !== "object" || options === null)
    throw new TypeError("encryption must be { key, fields? }");
  subtle(); // throws TypeError without WebCrypto
  const { key, fields } = options;
  if (typeof key !== "function" && !isAesGcm256(key)) {
    throw new TypeError(
      "encryption.key must be an AES-GCM-256 CryptoKey or a function returning { key, id }",
    );
  }
  if (
    fields !== undefined &&
    (!Array.isArray(fields) || !fields.every((f) => typeof f === "string" && f !== ""))
  ) {
    throw new TypeError("encryption.fields must be an array of field names");
  }
  return { key, policy: createFieldPolicy(fields, positionField) };
}

export interface RoomCryptoOptions {
  readonly roomId: string;
  readonly connectionId: () => string;
  readonly epoch: () => number;
  readonly onDecryptError: (error: DecryptError) => void;
}

export interface RoomCrypto {
  /** The patch's wire form (sealed fields as envelopes under "~field"); sync without sealed fields. */
  seal(patch: Patch): Patch | Promise<Patch>;
  /** Starts decrypting an inbound message; call the result in arrival order. */
  open<M extends Inbound>(msg: M): (() => M) | Promise<() => M>;
  /** Why `state` cannot be sent sealed (a key clash, or too large once sealed), or null. */
  check(state: PresenceData): PresenceError | null;
}

export function createRoomCrypto(config: EncryptionConfig, options: RoomCryptoOptions): RoomCrypto {
  const { policy } = config;
  const keys = createKeyRing(config.key);
  const sealer = createSealer({
    roomId: options.roomId,
    policy,
    keys,
    connectionId: options.connectionId,
    epoch: options.epoch,
  });
  const opener = createOpener({
    roomId: options.roomId,
    policy,
    keys,
    selfId: options.connectionId,
    onError: options.onDecryptError,
  });
  return {
    seal: (patch) => sealer.seal(patch),
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
