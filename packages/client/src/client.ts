// createClient: validates options once, then hands each enterRoom a room session.
import { isPlainObject, isValidRoomId, ProtocolError } from "@collabblocks/protocol";
import { createRoom, normalisePresence, type RoomSettings } from "./room.js";
import { checkEncryption } from "./room-encryption.js";
import type { WebSocketConstructor } from "./socket.js";
import { systemTimers, type Timers } from "./timers.js";
import { type AuthCallback, createTokenSource, type FetchLike } from "./token-source.js";
import type { Client, EnterRoomOptions, EnterRoomResult } from "./types.js";
import { isProductionBuild } from "./validate-update.js";
import { documentVisibility, type VisibilitySource } from "./visibility.js";
import { browserWake, type WakeSource } from "./wake.js";

/** Default and bounds of `throttle`, ms: 16 ≈ one frame at 60 Hz; 1 s is the slowest useful pace. */
export const DEFAULT_THROTTLE_MS = 16;
export const MIN_THROTTLE_MS = 16;
export const MAX_THROTTLE_MS = 1000;
/** Default `lostConnectionTimeout`, ms: others survive outages shorter than this. */
export const DEFAULT_LOST_CONNECTION_TIMEOUT_MS = 5000;

export interface ClientOptions {
  /** Server base URL: ws(s)://host:port (http(s) is turned into ws(s)). */
  url: string;
  /** POST {room} → {token} endpoint, or a callback returning a token. Exclusive with `token`. */
  authEndpoint?: string | AuthCallback;
  /** A static token (it cannot be renewed: token errors end the session). */
  token?: string;
  /** Minimum spacing of presence frames, ms, 16..1000. Default 16. */
  throttle?: number;
  /** How long others stay listed while reconnecting, ms. Default 5000. */
  lostConnectionTimeout?: number;
  /** WebSocket implementation; default the global one (browsers, Node ≥ 22). On Node 20 pass `ws`. */
  WebSocket?: WebSocketConstructor;
  /** fetch for a string `authEndpoint`; default the global one. */
  fetch?: FetchLike;
  /** Clock and timers (tests). */
  timers?: Timers;
  /** Uniform [0, 1) source for backoff jitter (tests). Default Math.random. */
  random?: () => number;
  /** Page visibility; default `document` when present. null disables the hidden-page pause. */
  visibility?: VisibilitySource | null;
  /** Reconnect-now signals (online, focus); default `window` when present. null disables them. */
  wake?: WakeSource | null;
  /** console.warn each error a room reports (refused updates with code and field); default: not in production builds. */
  warnings?: boolean;
}

function baseUrl(url: unknown): string {
  if (typeof url !== "string") throw new TypeError("createClient needs `url` (ws://host:port)");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`\`url\` is not a valid URL: ${url}`);
  }
  const protocol = { "ws:": "ws:", "wss:": "wss:", "http:": "ws:", "https:": "wss:" }[parsed.protocol];
  if (protocol === undefined) throw new TypeError(`\`url\` must be ws(s):// or http(s)://, got ${url}`);
  parsed.protocol = protocol;
  parsed.search = "";
  parsed.hash = "";
  return parsed.toString().replace(/\/+$/, "");
}

export function createClient(options: ClientOptions): Client {
  if (typeof options !== "object" || options === null) throw new TypeError("createClient needs options");
  const throttle = options.throttle ?? DEFAULT_THROTTLE_MS;
  if (typeof throttle !== "number" || !(throttle >= MIN_THROTTLE_MS && throttle <= MAX_THROTTLE_MS)) {
    throw new RangeError(`throttle must be ${MIN_THROTTLE_MS}..${MAX_THROTTLE_MS} ms, got ${throttle}`);
  }
  const lost = options.lostConnectionTimeout ?? DEFAULT_LOST_CONNECTION_TIMEOUT_MS;
  if (typeof lost !== "number" || !Number.isFinite(lost) || lost < 0) {
    throw new RangeError(`lostConnectionTimeout must be a finite number of ms ≥ 0, got ${lost}`);
  }
  const settings: RoomSettings = {
    baseUrl: baseUrl(options.url),
    tokens: createTokenSource(options),
    WebSocket:
      options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket ?? undefined,
    timers: options.timers ?? systemTimers,
    random: options.random ?? Math.random,
    throttleMs: throttle,
    lostConnectionTimeoutMs: lost,
    warnings: options.warnings ?? !isProductionBuild(),
    visibility: options.visibility === undefined ? documentVisibility() : options.visibility,
    wake: options.wake === undefined ? browserWake() : options.wake,
  };
  const live = new Set<() => void>();

  return {
    enterRoom<P extends object>(roomId: string, enter: EnterRoomOptions<P>): EnterRoomResult<P> {
      if (typeof roomId !== "string") throw new TypeError("roomId must be a string");
      if (!isValidRoomId(roomId)) throw new RangeError(`roomId must match [A-Za-z0-9._:-]{1,128}: ${roomId}`);
      if (typeof enter !== "object" || enter === null || !isPlainObject(enter.initialPresence)) {
        throw new TypeError("enterRoom needs { initialPresence: object }");
      }
      try {
        normalisePresence(enter.initialPresence);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        throw new TypeError(`initialPresence is invalid (${err.code}): ${err.message}`, { cause: err });
      }
      const encryption = enter.encryption === undefined ? null : checkEncryption(enter.encryption);
      let leaveRoom: (() => void) | undefined;
      const result = createRoom<P>(
        roomId,
        enter.initialPresence,
        settings,
        (leave) => {
          leaveRoom = leave;
          live.add(leave);
        },
        () => {
          if (leaveRoom !== undefined) live.delete(leaveRoom);
        },
        enter.view,
        encryption,
      );
      if (enter.autoConnect !== false) result.room.connect();
      return result;
    },
    destroy() {
      for (const leave of [...live]) leave();
    },
  };
}
