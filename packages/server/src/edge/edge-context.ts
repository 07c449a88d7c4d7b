// What the edge's parts share (docs/ARCHITECTURE.md#the-edge): createEdge (edge.ts)
// builds one EdgeContext, and admission at the upgrade (upgrade.ts), joins
// (join.ts), connection ends (connection-end.ts), message hooks
// (connection-hooks.ts) and shutdown (shutdown.ts) each take it, so no part is a
// closure inside another and each can be read — and tested — on its own.

import { HEARTBEAT_MS } from "@collabblocks/protocol";
import type { WebSocket } from "ws";
import { type ConnCounter, createConnCounter } from "../limits/conn-counter.js";
import { createIpFilter, type IpFilter } from "../limits/ip-filter.js";
import { type Clock, systemClock } from "../ops/clock.js";
import { createConnectionIds } from "./connection-ids.js";
import type { EdgeOptions } from "./edge-options.js";
import { createEdgeRooms, type EdgeRooms } from "./edge-rooms.js";
import { createGhosts, type Ghosts } from "./ghosts.js";

export interface EdgeContext {
  readonly options: EdgeOptions;
  /** Timers and wall time of every part (token expiry, deferred enters, liveness, shutdown). */
  readonly clock: Clock;
  /** Monotonic time, ms (rate limits, flushes). */
  readonly monotonicNow: () => number;
  readonly heartbeatMs: number;
  readonly rooms: EdgeRooms;
  readonly ghosts: Ghosts;
  readonly ipFilter: IpFilter;
  readonly perUser: ConnCounter;
  /** Every upgraded socket, joined or not (shutdown closes them all). */
  readonly sockets: Set<WebSocket>;
  /** Sockets whose join completed (the join timeout leaves them alone). */
  readonly joined: WeakSet<WebSocket>;
  connectionCount: number;
  /** A fresh random connection id (one the client did not ask for: admission.ts). */
  readonly newConnectionId: () => string;
  /** Joins in flight (upgraded, not yet joined or refused): rooms' dear flushes leave them their share. */
  joining: number;
  shuttingDown: boolean;
}

export function createEdgeContext(
  options: EdgeOptions,
  onReplaced: Parameters<typeof createEdgeRooms>[1],
): EdgeContext {
  const clock = options.clock ?? systemClock;
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  const monotonicNow = options.monotonicNow ?? (() => performance.now());
  const ctx: EdgeContext = {
    options,
    clock,
    monotonicNow,
    heartbeatMs,
    rooms: createEdgeRooms({ ...options, monotonicNow, contended: () => ctx.joining > 0 }, onReplaced),
    ghosts: createGhosts(clock, options.ghostGraceMs ?? 2 * heartbeatMs),
    ipFilter: createIpFilter({ denyList: options.denyIps, maxPerIp: options.maxConnsPerIp }),
    perUser: createConnCounter(options.maxConnsPerUser ?? 0),
    sockets: new Set(),
    joined: new WeakSet(),
    newConnectionId: createConnectionIds(),
    connectionCount: 0,
    joining: 0,
    shuttingDown: false,
  };
  return ctx;
}
