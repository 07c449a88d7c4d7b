// Sealed presence values (docs/E2EE.md): one AES-GCM-256 ciphertext per field, written as a
// compact string so that the server stores and relays it like any other string value
// (PROTOCOL.md §6 accepts any JSON string under a non-reserved key):
//
//   envelope = "e1." keyId "." epoch "." counter "." base64url(nonce ‖ ciphertext ‖ tag)
//
// epoch and counter are base36 (a counter of 1 000 000 is 4 characters, not 7). They travel in
// clear because the receiver needs them to rebuild the additional authenticated data; AES-GCM
// then refuses any envelope whose room, sender, epoch, field, counter or key id was changed.
// WebCrypto only (`globalThis.crypto.subtle`: Node 20 and browsers); no dependency.
import type { Json } from "@collabblocks/protocol";

/** Version tag of the envelope format; a new format gets a new tag, receivers refuse unknown ones. */
export const ENVELOPE_VERSION = "e1";
/** AES-GCM nonce, bytes: 96 random bits per value (NIST SP 800-38D's recommended IV size). */
export const NONCE_BYTES = 12;
/** AES-GCM tag, bytes (128 bits, the WebCrypto default). */
export const TAG_BYTES = 16;
/** Key ids: 1–32 base64url characters (they are part of every envelope, so short is better). */
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
export const MAX_KEY_ID_LENGTH = 32;
/** base36 of a non-negative safe integer, canonical (no leading zeros): at most 11 characters. */
const BASE36_PATTERN = /^(0|[1-9a-z][0-9a-z]{0,10})$/;
const BASE64URL_PATTERN = /^[A-Za-z0-9_-]*$/;

/** What the ciphertext is bound to (the additional authenticated data, with the key id). */
export interface SealContext {
  readonly roomId: string;
  /** The sender's connectionId. */
  readonly connectionId: string;
  /** The sender's epoch when it sealed (0 before its first welcome). */
  readonly epoch: number;
  /** The presence field name (not the wire key). */
  readonly field: string;
  /** Per-sender counter: every sealed value of a room session gets the next one. */
  readonly counter: number;
}

export interface ParsedEnvelope {
  readonly keyId: string;
  readonly epoch: number;
  readonly counter: number;
  /** nonce ‖ ciphertext ‖ tag */
  readonly bytes: Uint8Array<ArrayBuffer>;
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

export function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Strict: only the base64url alphabet, no padding, and canonical (re-encodes to the same text). */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!BASE64URL_PATTERN.test(text) || text.length % 4 === 1) return null;
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return toBase64Url(bytes) === text ? bytes : null;
}

function parseBase36(text: string): number | null {
  if (!BASE36_PATTERN.test(text)) return null;
  const n = Number.parseInt(text, 36);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * The additional authenticated data. A JSON array is an unambiguous encoding of the parts
 * (no separator can be smuggled inside a room id or field name to make two contexts equal).
 */
export function additionalData(ctx: SealContext, keyId: string): Uint8Array<ArrayBuffer> {
  const parts = ["collabblocks-presence", ENVELOPE_VERSION, ctx.roomId, ctx.connectionId];
  return new TextEncoder().encode(JSON.stringify([...parts, ctx.epoch, ctx.field, ctx.counter, keyId]));
}

/** Parses the envelope's clear parts; null when it is not an `e1` envelope. */
export function parseEnvelope(text: string): ParsedEnvelope | null {
  const parts = text.split(".");
  if (parts.length !== 5 || parts[0] !== ENVELOPE_VERSION) return null;
  const [, keyId, epochText, counterText, payload] = parts as [string, string, string, string, string];
  if (!KEY_ID_PATTERN.test(keyId)) return null;
  const epoch = parseBase36(epochText);
  const counter = parseBase36(counterText);
  const bytes = fromBase64Url(payload);
  if (epoch === null || counter === null || bytes === null || bytes.length < NONCE_BYTES + TAG_BYTES) {
    return null;
  }
  return { keyId, epoch, counter, bytes };
}

/** Seals one field value: JSON text, UTF-8, AES-GCM-256 under a fresh random nonce. */
export async function sealValue(
  key: CryptoKey,
  keyId: string,
  ctx: SealContext,
  value: Json,
): Promise<string> {
  const nonce = globalThis.crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  const plain = new TextEncoder().encode(JSON.stringify(value));
  const sealed = await subtle().encrypt(
    { name: "AES-GCM", iv: nonce, additionalData: additionalData(ctx, keyId), tagLength: TAG_BYTES * 8 },
    key,
    plain,
  );
  const bytes = new Uint8Array(NONCE_BYTES + sealed.byteLength);
  bytes.set(nonce, 0);
  bytes.set(new Uint8Array(sealed), NONCE_BYTES);
  const head = `${ENVELOPE_VERSION}.${keyId}.${ctx.epoch.toString(36)}.${ctx.counter.toString(36)}`;
  return `${head}.${toBase64Url(bytes)}`;
}

/**
 * Opens an envelope sealed for `ctx` (whose epoch and counter come from the envelope). Rejects
 * (WebCrypto's OperationError) on a wrong key or any change to the ciphertext or its context;
 * returns the JSON text, which the caller parses and validates.
 */
export async function openEnvelope(key: CryptoKey, env: ParsedEnvelope, ctx: SealContext): Promise<string> {
  const plain = await subtle().decrypt(
    {
      name: "AES-GCM",
      iv: env.bytes.subarray(0, NONCE_BYTES),
      additionalData: additionalData(ctx, env.keyId),
      tagLength: TAG_BYTES * 8,
    },
    key,
    env.bytes.subarray(NONCE_BYTES),
  );
  return new TextDecoder("utf-8", { fatal: true }).decode(plain);
}

/** Length of base64url text (no padding) for `n` bytes. */
function base64UrlLength(n: number): number {
  return Math.ceil((n * 4) / 3);
}

/** Exact length of the envelope for a plaintext of `plainBytes` UTF-8 bytes (used for size checks). */
export function envelopeLength(
  plainBytes: number,
  keyIdLength: number,
  epoch: number,
  counter: number,
): number {
  const head = ENVELOPE_VERSION.length + 1 + keyIdLength + 1 + epoch.toString(36).length + 1;
  return head + counter.toString(36).length + 1 + base64UrlLength(NONCE_BYTES + plainBytes + TAG_BYTES);
}

/** UTF-8 length of a value's JSON text: the plaintext that gets sealed. */
export function plaintextBytes(value: Json): number {
  return new TextEncoder().encode(JSON.stringify(value)).length;
}
