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
import { type Clock, systemClock } from "../ops/clock.js";
import { createFlushQueue, type FlushQueue } from "./flush-queue.js";
import type { MirrorConnection, MirrorContext, MirrorSocket, ShadowCounters } from "./mirror-context.js";
import { createMirrorConnection } from "./shadow-connection.js";
import type { ShadowKey } from "./shadow-key.js";
import { createShadowReport, type ShadowReport } from "./shadow-report.js";

/** Default cap on mirror sockets per edge process (`--shadow-max-connections`). */
export const DEFAULT_SHADOW_MAX_CONNECTIONS = 1000;
/** Silence detection and token renewal sweep, ms. */
export const SHADOW_SWEEP_MS = 1000;
/** The staging handshake must complete within this, ms (a black-holed staging costs one attempt per backoff). */
export const SHADOW_HANDSHAKE_TIMEOUT_MS = 5000;
/** Largest staging frame accepted on a mirror socket, bytes (a huge room's flush; snapshot chunks are ≤ 64 KB). */
const SHADOW_MAX_PAYLOAD = 16 * 1024 * 1024;
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
  /** Wall time (token iat/exp, log throttling) and timers; default the system clock. */
  readonly clock?: Clock;
  /** Monotonic clock, ms (staging's token bucket, silence); default performance.now. */
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

/** What the observer calls share. */
interface Shadow {
  readonly ctx: MirrorContext;
  readonly prefix: string;
  readonly maxConnections: number;
  /** Keyed by roomId + connectionId (keyOf). */
  readonly mirrors: Map<string, MirrorConnection>;
  readonly waiting: FlushQueue<MirrorConnection>;
  closed: boolean;
}

const keyOf = (conn: ObservedConnection): string => `${conn.room.roomId}\n${conn.connectionId}`;

export function createShadowMirror(options: ShadowOptions, deps: ShadowDeps): ShadowMirror {
  const clock = deps.clock ?? systemClock;
  const report = createShadowReport(deps.logger, clock);
  const waiting = createFlushQueue<MirrorConnection>(clock);
  const shadow: Shadow = {
    ctx: {
      baseUrl: parseShadowTarget(options.to),
      key: options.key,
      stats: deps.stats,
      clock,
      monotonicNow: deps.monotonicNow ?? (() => performance.now()),
      random: deps.random ?? Math.random,
      connect: deps.connect ?? defaultConnect,
      report,
      wantFlush: (m) => waiting.add(m),
    },
    prefix: options.roomPrefix ?? "",
    maxConnections: options.maxConnections ?? DEFAULT_SHADOW_MAX_CONNECTIONS,
    mirrors: new Map(),
    waiting,
    closed: false,
  };
  const sweep = clock.setInterval(() => {
    for (const m of shadow.mirrors.values()) m.sweep();
  }, SHADOW_SWEEP_MS);
  return {
    get size() {
      return shadow.mirrors.size;
    },
    entered: (conn) => guard(report, "enter", () => mirrorEntered(shadow, conn)),
    updated: (conn, patch) =>
      guard(report, "update", () => {
        const m = shadow.mirrors.get(keyOf(conn));
        if (m) m.updated(conn.state, patch);
        else deps.stats.shadowDropped++;
      }),
    ended: (conn, mode) => guard(report, "end", () => mirrorEnded(shadow, conn, mode === "left")),
    close() {
      if (shadow.closed) return;
      shadow.closed = true;
      clock.clearInterval(sweep);
      waiting.close();
      for (const m of shadow.mirrors.values()) m.end(false);
      shadow.mirrors.clear();
    },
  };
}

/** The observer runs on the edge's hot path: a mirror fault is logged, never thrown into it. */
function guard(report: ShadowReport, what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    report("internal error", { err: (err as Error).message, what });
  }
}

/** Ends the mirror of `key`, if any; false when there was none. */
function endMirror(shadow: Shadow, key: string, left: boolean): boolean {
  const m = shadow.mirrors.get(key);
  if (!m) return false;
  shadow.mirrors.delete(key);
  shadow.waiting.delete(m);
  m.end(left);
  return true;
}

function mirrorEntered(shadow: Shadow, conn: ObservedConnection): void {
  const { ctx, maxConnections } = shadow;
  const key = keyOf(conn);
  endMirror(shadow, key, false); // a rejoin with the same id replaces its mirror
  const stagingRoom = shadow.prefix + conn.room.roomId;
  const full = shadow.mirrors.size >= maxConnections;
  if (shadow.closed || full || !ROOM_ID_PATTERN.test(stagingRoom)) {
    if (!shadow.closed && full) {
      ctx.report("--shadow-max-connections reached; not mirroring new connections", { maxConnections });
    }
    ctx.stats.shadowDropped++;
    return;
  }
  const claims = { sub: conn.userId, room: stagingRoom, plan: conn.plan, org: conn.org, info: conn.info };
  const init = { stagingRoom, connectionId: conn.connectionId, claims };
  shadow.mirrors.set(key, createMirrorConnection(ctx, init, conn.state));
}

function mirrorEnded(shadow: Shadow, conn: ObservedConnection, left: boolean): void {
  if (!endMirror(shadow, keyOf(conn), left)) shadow.ctx.stats.shadowDropped++;
}
