// Shadow traffic (`--shadow-to`, docs/OPERATIONS.md "Rollout procedure"): an edge
// mirrors its local clients' accepted presence, best-effort, to a staging
// deployment, so staging runs the new version under production's real load.
//
// Staging must see nothing unusual, so each mirrored production connection is a
// real client there: its own WebSocket to staging's normal endpoint
// (/v1/rooms/{prefix+roomId}), a token signed with `--shadow-token-key` carrying
// the production client's sub, plan, org and info, the same connectionId, the
// enter state, each patch as UPDATE_PRESENCE within staging's advertised rate
// limit, and a close when the client goes (shadow-connection.ts).
//
// It never slows or fails production: the observer calls only update in-memory
// state and write to a socket that is not backed up; there is no queue beyond one
// folded patch per connection; at most `--shadow-max-connections` mirror sockets
// exist (connections beyond it are not mirrored); staging being down, refusing
// or black-holed only costs reconnect attempts with backoff. What is not
// reproduced is counted in presence_shadow_dropped_total. Tokens, URLs (which
// carry the token) and presence contents are never logged.
import { ROOM_ID_PATTERN } from "@collabblocks/protocol";
import type { Logger } from "pino";
import WebSocket from "ws";
import type { ConnectionObserver, ObservedConnection } from "../edge/observer.js";
import {
  createMirrorConnection,
  type MirrorConnection,
  type MirrorContext,
  type MirrorSocket,
  type ShadowCounters,
} from "./shadow-connection.js";
import type { ShadowKey } from "./shadow-key.js";

/** Default cap on mirror sockets per edge process (`--shadow-max-connections`). */
export const DEFAULT_SHADOW_MAX_CONNECTIONS = 1000;
/** How often folded patches are retried, ms (a token of staging's 20/s bucket every 50 ms). */
export const SHADOW_FLUSH_MS = 25;
/** Silence detection and token renewal sweep, ms. */
export const SHADOW_SWEEP_MS = 1000;
/** The staging handshake must complete within this, ms (a black-holed staging costs one attempt per backoff). */
export const SHADOW_HANDSHAKE_TIMEOUT_MS = 5000;
/** Largest staging frame accepted on a mirror socket, bytes (a huge room's flush; snapshot chunks are ≤ 64 KB). */
const SHADOW_MAX_PAYLOAD = 16 * 1024 * 1024;
/** Each kind of staging trouble is logged at most once per this, ms (with the count suppressed). */
export const SHADOW_LOG_INTERVAL_MS = 30_000;
/** Longest `--shadow-room-prefix`, characters (the staging room id must stay ≤ 128). */
export const MAX_SHADOW_ROOM_PREFIX = 64;

export interface ShadowOptions {
  /** Staging's base URL, ws:// or wss:// (`--shadow-to`). */
  readonly to: string;
  readonly key: ShadowKey;
  /** Prepended to every mirrored roomId (`--shadow-room-prefix`, default none). */
  readonly roomPrefix?: string;
  /** Mirror sockets at most (`--shadow-max-connections`, default 1000). */
  readonly maxConnections?: number;
}

export interface ShadowDeps {
  readonly stats: ShadowCounters;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly monotonicNow?: () => number;
  readonly random?: () => number;
  /** Opens a mirror socket (default: a `ws` WebSocket). */
  readonly connect?: (url: string) => MirrorSocket;
}

export interface ShadowMirror extends ConnectionObserver {
  /** Mirrored production connections (any phase). */
  readonly size: number;
  /** Closes every mirror socket and stops the timers; later events are counted as dropped. */
  close(): void;
}

/** Checks `--shadow-to` and returns the base URL without a trailing slash. Throws RangeError. */
export function parseShadowTarget(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RangeError("--shadow-to must be a ws:// or wss:// URL");
  }
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    throw new RangeError("--shadow-to must be a ws:// or wss:// URL");
  }
  if (url.search !== "" || url.hash !== "")
    throw new RangeError("--shadow-to must not have a query or fragment");
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
}

/** Checks `--shadow-room-prefix`: room-id characters only, at most 64. Throws RangeError. */
export function checkShadowRoomPrefix(prefix: string): string {
  if (prefix.length > MAX_SHADOW_ROOM_PREFIX || !ROOM_ID_PATTERN.test(prefix)) {
    throw new RangeError(
      `--shadow-room-prefix must be 1–${MAX_SHADOW_ROOM_PREFIX} characters of [A-Za-z0-9._:-]`,
    );
  }
  return prefix;
}

function defaultConnect(url: string): MirrorSocket {
  return new WebSocket(url, {
    perMessageDeflate: false,
    handshakeTimeout: SHADOW_HANDSHAKE_TIMEOUT_MS,
    maxPayload: SHADOW_MAX_PAYLOAD,
  });
}

export function createShadowMirror(options: ShadowOptions, deps: ShadowDeps): ShadowMirror {
  const { stats, logger } = deps;
  const base = parseShadowTarget(options.to);
  const prefix = options.roomPrefix ?? "";
  const maxConnections = options.maxConnections ?? DEFAULT_SHADOW_MAX_CONNECTIONS;
  const mirrors = new Map<string, MirrorConnection>();
  const waiting = new Set<MirrorConnection>();
  const logged = new Map<string, { at: number; suppressed: number }>();
  let flushTimer: ReturnType<typeof setInterval> | undefined;
  let closed = false;

  const report = (event: string, detail: Readonly<Record<string, unknown>>): void => {
    const t = Date.now();
    const last = logged.get(event);
    if (last && t - last.at < SHADOW_LOG_INTERVAL_MS) {
      last.suppressed++;
      return;
    }
    logger.warn({ ...detail, suppressed: last?.suppressed ?? 0 }, `shadow: ${event}`);
    logged.set(event, { at: t, suppressed: 0 });
  };

  const flushWaiting = (): void => {
    for (const m of waiting) if (m.flush()) waiting.delete(m);
    if (waiting.size === 0 && flushTimer) {
      clearInterval(flushTimer);
      flushTimer = undefined;
    }
  };

  const ctx: MirrorContext = {
    baseUrl: base,
    key: options.key,
    stats,
    now: deps.now ?? Date.now,
    monotonicNow: deps.monotonicNow ?? (() => performance.now()),
    random: deps.random ?? Math.random,
    connect: deps.connect ?? defaultConnect,
    report,
    wantFlush(m) {
      waiting.add(m);
      if (!flushTimer && !closed) {
        flushTimer = setInterval(flushWaiting, SHADOW_FLUSH_MS);
        flushTimer.unref?.();
      }
    },
  };

  const sweep = setInterval(() => {
    for (const m of mirrors.values()) m.sweep();
  }, SHADOW_SWEEP_MS);
  sweep.unref?.();

  const keyOf = (conn: ObservedConnection): string => `${conn.room.roomId}\n${conn.connectionId}`;

  /** The observer runs on the edge's hot path: a mirror fault is logged, never thrown into it. */
  const guard = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      report("internal error", { err: (err as Error).message, what });
    }
  };

  return {
    get size() {
      return mirrors.size;
    },
    entered(conn) {
      guard("enter", () => {
        const key = keyOf(conn);
        const previous = mirrors.get(key);
        if (previous) {
          mirrors.delete(key);
          waiting.delete(previous);
          previous.end(false);
        }
        const stagingRoom = prefix + conn.room.roomId;
        if (closed || mirrors.size >= maxConnections || !ROOM_ID_PATTERN.test(stagingRoom)) {
          if (!closed && mirrors.size >= maxConnections) {
            report("--shadow-max-connections reached; not mirroring new connections", { maxConnections });
          }
          stats.shadowDropped++;
          return;
        }
        const claims = {
          sub: conn.userId,
          room: stagingRoom,
          plan: conn.plan,
          org: conn.org,
          info: conn.info,
        };
        mirrors.set(
          key,
          createMirrorConnection(ctx, { stagingRoom, connectionId: conn.connectionId, claims }, conn.state),
        );
      });
    },
    updated(conn, patch) {
      guard("update", () => {
        const m = mirrors.get(keyOf(conn));
        if (m) m.updated(conn.state, patch);
        else stats.shadowDropped++;
      });
    },
    ended(conn, mode) {
      guard("end", () => {
        const key = keyOf(conn);
        const m = mirrors.get(key);
        if (!m) {
          stats.shadowDropped++;
          return;
        }
        mirrors.delete(key);
        waiting.delete(m);
        m.end(mode === "left");
      });
    },
    close() {
      if (closed) return;
      closed = true;
      clearInterval(sweep);
      if (flushTimer) clearInterval(flushTimer);
      flushTimer = undefined;
      for (const m of mirrors.values()) m.end(false);
      mirrors.clear();
      waiting.clear();
    },
  };
}
