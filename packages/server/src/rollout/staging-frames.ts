// What a mirror socket (mirror-dialer.ts) reads from staging: before the
// welcome, the WELCOME (staging's limits) or an ERROR refusing us; after it,
// only ERRORs. Staging fans every room update out to the mirror socket too;
// decoding those would cost production CPU for nothing, so an open socket
// decodes a frame only when its first two bytes say ERROR.
import { decodeServerMessage, type ErrorCode, MessageType } from "@collabblocks/protocol";
import type { TokenBucketSpec } from "../limits/token-bucket.js";

export type StagingFrame =
  | { readonly kind: "welcome"; readonly limits: TokenBucketSpec }
  | { readonly kind: "error"; readonly code: ErrorCode }
  | { readonly kind: "undecodable" }
  /** Anything else: not the mirror's business. */
  | { readonly kind: "other" };

const OTHER: StagingFrame = { kind: "other" };

/** A msgpack fixarray (0x9N) whose first item is ERROR's type code. */
function looksLikeError(data: Uint8Array): boolean {
  return data.length > 1 && (data[0]! & 0xf0) === 0x90 && data[1] === MessageType.ERROR;
}

/** Reads one frame; `welcomed` = the socket is open, so only an ERROR matters. */
export function readStagingFrame(data: Uint8Array, welcomed: boolean): StagingFrame {
  if (welcomed && !looksLikeError(data)) return OTHER;
  let msg: ReturnType<typeof decodeServerMessage>;
  try {
    msg = decodeServerMessage(data);
  } catch {
    return { kind: "undecodable" }; // the caller reports it and drops the socket
  }
  if (msg.type === MessageType.ERROR) return { kind: "error", code: msg.code };
  if (msg.type === MessageType.WELCOME && !welcomed) {
    return { kind: "welcome", limits: { ratePerSecond: msg.limits.ratePerSecond, burst: msg.limits.burst } };
  }
  return OTHER;
}
