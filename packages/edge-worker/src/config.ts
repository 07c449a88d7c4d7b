// The Worker's configuration (docs/EDGE-WORKERS.md#configuration): wrangler.toml
// [vars] and secrets arrive as `env`; this file names them, gives their defaults
// and the constants of the Durable Object edge, each defined once.

import { HEARTBEAT_MS } from "@collabblocks/protocol";
import {
  buildGates,
  type Gates,
  KNOWN_CONNECTION_RETENTION_MS,
  livenessBoundMs,
  parseGatesJson,
} from "@collabblocks/server/portable";
import type { AnalyticsEngineDataset, DurableObjectNamespace } from "./workers-types.js";

export interface Env {
  /** The Durable Object namespace of rooms (wrangler.toml [[durable_objects.bindings]]). */
  readonly ROOMS: DurableObjectNamespace;
  /** JWKS URL of the token issuer (the Node edge's `--jwks-url`). */
  readonly JWKS_URL: string;
  /** Base URL of the pod's HTTP port, which serves the dial endpoint (`collabblocks pod --port`). */
  readonly POD_URL?: string;
  /** Several pods' base URLs, comma separated: rooms are placed by rendezvous hashing (podUrlsOf). */
  readonly POD_URLS?: string;
  /** Shared with the pod's `--worker-link-secret` (a wrangler secret). */
  readonly LINK_SECRET: string;
  /** Rollout gates as the Node edge's gates file, JSON (docs/OPERATIONS.md#rollout-procedure); default open. */
  readonly GATES?: string;
  /** Optional Workers Analytics Engine dataset for room events (metrics.ts, docs/EDGE-WORKERS.md#metrics). */
  readonly METRICS?: AnalyticsEngineDataset;
  /** The alarm's sweep interval while the room has members, ms; default LIVENESS_SWEEP_MS (tests shorten it). */
  readonly LIVENESS_SWEEP_MS?: string;
  /** How long `known/{cid}` entries outlive their connection, ms; default KNOWN_CONNECTION_RETENTION_MS (tests shorten it). */
  readonly KNOWN_RETENTION_MS?: string;
}

/** A duration var, ms, or `fallback` when unset; a bad value throws (a deploy error, not a client's). */
function msVar(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === "") return fallback;
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms <= 0) throw new Error(`${name} is not a positive integer: ${text}`);
  return ms;
}

/** The known-connection retention, ms: KNOWN_RETENTION_MS or the edges' default. */
export function knownRetentionMsOf(env: Env): number {
  return msVar("KNOWN_RETENTION_MS", env.KNOWN_RETENTION_MS, KNOWN_CONNECTION_RETENTION_MS);
}

/** The alarm's sweep interval, ms: LIVENESS_SWEEP_MS or its default. */
export function sweepMsOf(env: Env): number {
  return msVar("LIVENESS_SWEEP_MS", env.LIVENESS_SWEEP_MS, LIVENESS_SWEEP_MS);
}

/**
 * The heartbeat the welcome advertises, ms. The SDK pings at this interval and the
 * object answers each PING itself (a PONG carries the server's time, so the runtime's
 * fixed auto-response cannot), which wakes it: at the Node edge's 2 000 ms an object
 * with a member would never stay idle long enough (about 10 s) to hibernate. At
 * 30 s an idle room sleeps between pings. Rejected: 2 000 ms (no hibernation);
 * more than 30 s (a dead client's entry would linger for minutes).
 */
export const DO_HEARTBEAT_MS = 30_000;
/**
 * The highest protocol revision the DO edge speaks (PROTOCOL.md §1 `rev`): 2. It sends no
 * entry aliases (revision 3, §4), so a client asking for 3 is served as revision 2 — frames
 * every revision-3 SDK decodes.
 */
export const DO_PROTOCOL_REVISION = 2;
/** A socket silent for this long (two heartbeats) is ended as expired by the sweep alarm, ms. */
export const SILENT_SOCKET_MS = 2 * DO_HEARTBEAT_MS;
/**
 * The text keepalive the welcome offers, ms (PROTOCOL.md §4 "Keepalive"): the
 * protocol's heartbeat, as the Node edge pings. The runtime answers each one
 * without waking the object (setWebSocketAutoResponse), so it costs no duration.
 */
export const KEEPALIVE_MS = HEARTBEAT_MS;
/** A socket that kept alive and then fell silent this long is expired: the Node edge's liveness bound, ms. */
export const KEEPALIVE_DEAD_MS = livenessBoundMs(KEEPALIVE_MS);
/**
 * How often the alarm sweeps a room with members, ms: a socket that stopped its
 * keepalives is found within KEEPALIVE_DEAD_MS + this. Not shorter: every sweep
 * wakes the object, which must stay quiet about 10 s to be evicted.
 */
export const LIVENESS_SWEEP_MS = DO_HEARTBEAT_MS;
/** How long a join waits for the pod to connect back and answer the room's snapshot, ms. */
export const POD_LINK_TIMEOUT_MS = 5_000;
/** Re-dial delays after the pod link dropped, ms (the Node edge's re-open loop, docs/ARCHITECTURE.md#the-grpc-link-protopresenceproto-rpc). */
export const POD_REDIAL_MS: readonly number[] = [100, 250, 500, 1000, 2000];
/** Most connections in one room (the Node edge's `--max-room-connections` default). */
export const MAX_ROOM_CONNECTIONS = 10_000;
/** Largest per-socket attachment the runtime keeps, bytes (a Workers limit). */
export const MAX_ATTACHMENT_BYTES = 2048;

/**
 * The pods a room may be linked to, in the configured order: POD_URLS (comma
 * separated) when set, else POD_URL. The object dials them in the room's rendezvous
 * order (the Node edge's `--pods` placement, rpc/rendezvous.ts), so every isolate
 * places a room on the same pod and only a dead pod's rooms move.
 */
export function podUrlsOf(env: Env): string[] {
  const urls = (env.POD_URLS ?? env.POD_URL ?? "")
    .split(",")
    .map((u) => u.trim().replace(/\/+$/, ""))
    .filter((u) => u.length > 0);
  if (urls.length === 0) throw new Error("neither POD_URLS nor POD_URL is set");
  return [...new Set(urls)];
}

let cachedGates: { readonly text: string | undefined; readonly gates: Gates } | undefined;

/** The gates of GATES, parsed once per isolate; a bad GATES throws (a deploy error, not a client's). */
export function gatesOf(env: Env): Gates {
  if (cachedGates === undefined || cachedGates.text !== env.GATES) {
    cachedGates = { text: env.GATES, gates: buildGates(env.GATES ? parseGatesJson(env.GATES) : {}) };
  }
  return cachedGates.gates;
}

/** A socket dropped without a close frame stays visible this long before it expires, ms (the Node edge's 2 heartbeats of 2 s). */
export const GHOST_GRACE_MS = 4_000;

/** Longest wait between an update and the flush carrying it, ms (the Node edge's `--tick-ms` default). */
export const TICK_MS = 16;
/**
 * Modelled cost of one socket write in a flush, ms. workerd stops the clocks while
 * code runs (a Spectre mitigation), so the object cannot measure its flushes as the
 * Node edge does (edge/flush-scheduler.ts): it counts writes and charges each this
 * much, the Node edge's measured ~5 µs per write on loopback. A 1 000-socket room
 * then flushes about every 10 ms instead of after every message (measured here:
 * per-message flushes delivered nothing at 1 000 sockets × 50 senders).
 */
export const MODELLED_WRITE_MS = 0.005;

/**
 * The stall monitor (the Node edge's limits/stall-monitor.ts: a timer that fires late
 * while the object is behind, whose lateness widens the patch bucket so a backlog
 * handled in one bunch is not blamed on clients) runs only while patches arrive and
 * stops this long after the last one, ms: its 50 ms timer would keep a quiet room
 * from hibernating.
 */
export const STALL_MONITOR_IDLE_MS = 1000;
