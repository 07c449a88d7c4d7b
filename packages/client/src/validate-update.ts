// Checking an update before sending it (issue: invalid presence disappeared
// silently). The same rules the server applies (PROTOCOL.md §6, the protocol's
// validators), so an app can test a value — a cursor in pixels, a relative avatar
// URL, 2 KB of metadata — and show its own message; updatePresence refuses the
// same values with the same error and changes nothing.
import {
  applyValidatedPatch,
  type PresenceData,
  ProtocolError,
  patchFromPartial,
} from "@collabblocks/protocol";
import type { PresenceError } from "./types.js";

/**
 * The error the server would answer `partial` with when merged into `current`
 * (default: an empty presence), or null when it would be accepted.
 */
export function validatePresenceUpdate(
  partial: Readonly<Record<string, unknown>>,
  current: Readonly<Record<string, unknown>> = {},
): PresenceError | null {
  try {
    applyValidatedPatch(current as PresenceData, patchFromPartial(partial));
    return null;
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    return { code: err.code, message: err.message, fatal: false };
  }
}

/** Is this a production build? Bundlers replace `process.env.NODE_ENV`; without one it is not. */
export function isProductionBuild(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.NODE_ENV === "production";
}
