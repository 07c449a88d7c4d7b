// Field readers shared by the decoders (codec.ts, compact-decode.ts): each checks
// one positional field of a decoded frame and throws MALFORMED_MESSAGE otherwise.
import { ProtocolError } from "./errors.js";

export function malformed(message: string): never {
  throw new ProtocolError("MALFORMED_MESSAGE", message);
}

/** Longest piece of a peer's input quoted in an error message, characters. */
const MAX_QUOTED = 64;

/**
 * A peer's value as an error message quotes it: at most MAX_QUOTED characters.
 * An ERROR's message must stay within what decoders accept (a 4 KB frame holding
 * a 4 080-character type made an ERROR the SDK could not decode; found by the
 * live fuzz suite).
 */
export function quote(value: unknown): string {
  const text = String(value);
  return text.length <= MAX_QUOTED ? text : `${text.slice(0, MAX_QUOTED)}… (${text.length} characters)`;
}

export function field(frame: unknown[], i: number): unknown {
  if (i >= frame.length) malformed(`missing field ${i}`);
  return frame[i];
}
export function str(v: unknown, what: string, maxLength = 4096): string {
  if (typeof v !== "string" || v.length > maxLength) malformed(`${what} is not a string of ≤ ${maxLength}`);
  return v;
}
export function uint(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
    malformed(`${what} is not an unsigned integer`);
  return v;
}
export function num(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) malformed(`${what} is not a finite number`);
  return v;
}
export function arr(v: unknown, what: string, maxLength = 1_000_000): unknown[] {
  if (!Array.isArray(v) || v.length > maxLength) malformed(`${what} is not an array`);
  return v;
}
export function keys(v: unknown): string[] {
  return arr(v, "delete list", 256).map((k) => str(k, "deleted key", 256));
}
