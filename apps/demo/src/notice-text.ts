// Error codes in words for the demo's notice line: a user sees "The server is
// restarting; reconnecting…", not SERVER_SHUTTING_DOWN. Codes not listed fall back
// to the SDK's message.
import type { PresenceError } from "@collabblocks/client";

const WORDS: Readonly<Partial<Record<string, string>>> = {
  SERVER_SHUTTING_DOWN: "The server is restarting; reconnecting…",
  UNAVAILABLE: "The server is busy; retrying shortly…",
  TOKEN_EXPIRED: "Your session expired; renewing it…",
  INVALID_TOKEN: "Could not sign you in; retrying…",
  AUTH_FAILED: "Could not sign you in.",
  ROOM_FULL: "This room is full; retrying shortly…",
  TOO_MANY_CONNECTIONS: "Too many open tabs or connections from here; retrying shortly…",
  SESSION_REPLACED: "This room was opened in another tab or window.",
  RATE_LIMITED: "You are moving faster than the room accepts; some moves were skipped.",
  INVALID_PRESENCE: "That update was not accepted.",
  PRESENCE_TOO_LARGE: "That status is too long.",
  SLOW_CONSUMER: "The connection fell behind; reconnecting…",
};

export function noticeFor(error: Pick<PresenceError, "code" | "message">): string {
  return WORDS[error.code] ?? error.message;
}
