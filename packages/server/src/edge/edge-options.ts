// What createEdge is given (edge.ts): its dependencies and every tunable, with
// where each default comes from. Its own file so the edge's parts (join.ts,
// connection-end.ts, …) can name it without importing edge.ts.
import type { Logger } from "pino";
import type { EdgeLink } from "../link/edge-link.js";
import type { Clock } from "../ops/clock.js";
import type { Metrics } from "../ops/metrics.js";
import type { TokenVerifier } from "./auth.js";
import type { FlushTimers } from "./flush-scheduler.js";
import type { ConnectionObserver } from "./observer.js";

export interface EdgeOptions {
  readonly link: EdgeLink;
  readonly verifier: TokenVerifier;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Longest wait before a room flush, ms (`--tick-ms`, DEFAULT_TICK_MS). */
  readonly tickMs?: number;
  /** Share of one core a room's flushes may take before they are spaced out (0–1, default 0.5). */
  readonly flushCpuShare?: number;
  /** Local connections per room (`--max-room-connections`, DEFAULT_MAX_ROOM_CONNECTIONS). */
  readonly maxRoomConnections?: number;
  /** Live connections per client address; 0 = unlimited (`--max-conns-per-ip`; default here 0). */
  readonly maxConnsPerIp?: number;
  /** Live connections per token subject; 0 = unlimited (`--max-conns-per-user`; default here 0). */
  readonly maxConnsPerUser?: number;
  /** Peers whose X-Forwarded-For names the client (`--trusted-proxies`; default loopback). */
  readonly trustedProxies?: readonly string[];
  /**
   * Browser origins allowed to open sockets (`--allowed-origins`): an upgrade whose
   * Origin header is not listed gets HTTP 403. Absent Origin (not a browser) passes:
   * any other client can write any Origin. Default: any origin.
   */
  readonly allowedOrigins?: readonly string[];
  /** Above this many connections a room stops sending everyone to connections without a view (`--large-room-threshold`). */
  readonly largeRoomThreshold?: number;
  /** CIDRs refused at the upgrade (`--deny-ips`). */
  readonly denyIps?: readonly string[];
  /** Server ping interval, ms; two missed pongs expire the connection (default 2 000). */
  readonly heartbeatMs?: number;
  /** How long a dropped connection stays visible awaiting a reconnect, ms (default 2 × heartbeat). */
  readonly ghostGraceMs?: number;
  readonly timers?: FlushTimers;
  /** Monotonic clock, ms (rate limits, flush pacing); default performance.now. */
  readonly monotonicNow?: () => number;
  /** Wall time and timers of the edge's parts (liveness, token expiry, deferred enters, shutdown); default the system clock. */
  readonly clock?: Clock;
  /** Told about local joins, accepted patches and ends (the shadow mirror, `--shadow-to`). */
  readonly observer?: ConnectionObserver;
  /** A socket not joined this long after its upgrade is refused with UNAVAILABLE, ms (default HANDSHAKE_TIMEOUT_MS). */
  readonly joinTimeoutMs?: number;
}
