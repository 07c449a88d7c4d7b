// Sealing and opening one sealed state (docs/E2EE.md#how-a-state-is-sealed): the values of the
// sealed fields as one MsgPack array (the protocol's sealed-values.ts), AES-GCM-256 under a fresh
// random 96-bit nonce, behind the clear header of sealed-header.ts:
//
//   sealed = header ‖ nonce(12) ‖ ciphertext ‖ tag(16)
//   AAD    = "collabblocks-presence/2" ‖ len ‖ roomId ‖ len ‖ senderConnectionId ‖ header
//
// The header carries the key id, the sender's epoch and counter and the field names, so the
// AAD binds the ciphertext to the room, the sender, its epoch and counter, and the fields:
// replaying, moving to another connection or room, or relabelling fields fails decryption.
// WebCrypto only (`globalThis.crypto.subtle`: Node 20 and browsers); no dependency.
import {
  decodeSealedValues,
  encodeSealedValues,
  type PresenceData,
  validatePatch,
} from "@collabblocks/protocol";
import { type ParsedSealed, type SealedHeader, writeHeader } from "./sealed-header.js";

/** AES-GCM nonce, bytes: 96 random bits per sealing (NIST SP 800-38D's recommended IV size). */
export const NONCE_BYTES = 12;
/** AES-GCM tag, bytes (128 bits, the WebCrypto default). */
export const TAG_BYTES = 16;
const AAD_LABEL = "collabblocks-presence/2";

/** Where a sealed state belongs (with its header, the additional authenticated data). */
export interface SealPlace {
  readonly roomId: string;
  /** The sender's connectionId. */
  readonly connectionId: string;
}

export function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (s === undefined) {
    throw new TypeError(
      "encrypted presence needs WebCrypto (globalThis.crypto.subtle): Node 20+ or a secure browser context",
    );
  }
  return s;
}

/** Length-prefixed parts: no room id or connection id can be cut to make two places equal. */
function additionalData(place: SealPlace, header: Uint8Array): Uint8Array<ArrayBuffer> {
  const utf8 = new TextEncoder();
  const parts = [utf8.encode(AAD_LABEL), utf8.encode(place.roomId), utf8.encode(place.connectionId)];
  const out = new Uint8Array(parts.reduce((n, p) => n + 2 + p.length, 0) + header.length);
  let at = 0;
  for (const part of parts) {
    out[at++] = part.length >> 8;
    out[at++] = part.length & 0xff;
    out.set(part, at);
    at += part.length;
  }
  out.set(header, at);
  return out;
}

/** Seals `state` (the sender's whole sealed part); the fields are its keys, in order. */
export async function sealState(
  key: CryptoKey,
  place: SealPlace,
  header: Omit<SealedHeader, "fields">,
  state: PresenceData,
): Promise<Uint8Array> {
  const head = writeHeader({ ...header, fields: Object.keys(state) });
  const nonce = globalThis.crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  const plain = encodeSealedValues(state) as Uint8Array<ArrayBuffer>;
  const sealed = await subtle().encrypt(
    { name: "AES-GCM", iv: nonce, additionalData: additionalData(place, head), tagLength: TAG_BYTES * 8 },
    key,
    plain,
  );
  const out = new Uint8Array(head.length + NONCE_BYTES + sealed.byteLength);
  out.set(head, 0);
  out.set(nonce, head.length);
  out.set(new Uint8Array(sealed), head.length + NONCE_BYTES);
  return out;
}

/** Why opening failed after authentication: the plaintext is not valid presence. */
export class InvalidSealedValue extends Error {}

/**
 * Opens a sealed state whose header is `parsed`. Rejects with WebCrypto's OperationError on a
 * wrong key or any change to the bytes, header or place; with InvalidSealedValue when a key
 * holder sealed something PROTOCOL.md §6 refuses.
 */
export async function openState(
  key: CryptoKey,
  place: SealPlace,
  parsed: ParsedSealed,
  bytes: Uint8Array<ArrayBuffer>,
): Promise<PresenceData> {
  const plain = await subtle().decrypt(
    {
      name: "AES-GCM",
      iv: bytes.subarray(parsed.length, parsed.length + NONCE_BYTES),
      additionalData: additionalData(place, bytes.subarray(0, parsed.length)),
      tagLength: TAG_BYTES * 8,
    },
    key,
    bytes.subarray(parsed.length + NONCE_BYTES),
  );
  try {
    const state = decodeSealedValues(new Uint8Array(plain), parsed.fields);
    validatePatch({ set: state, del: [] }); // a peer holding the key is bound by PROTOCOL.md §6 too
    return state;
  } catch (err) {
    throw new InvalidSealedValue(err instanceof Error ? err.message : String(err));
  }
}

/** Length of a sealed state: header, nonce, values, tag (used for size checks). */
export function sealedLength(header: SealedHeader, state: PresenceData): number {
  return writeHeader(header).length + NONCE_BYTES + encodeSealedValues(state).length + TAG_BYTES;
}
