// What every mirror connection (shadow-connection.ts) shares with the shadow
// mirror that owns it (shadow.ts), and the tunables of a mirror socket. Its own
// file so the connection's parts (mirror-core.ts, mirror-dialer.ts) can name it
// without importing the connection.
import type { BackoffSchedule, Patch, PresenceData } from "@collabblocks/protocol";
import type { Clock } from "../ops/clock.js";
import type { ShadowKey } from "./shadow-key.js";

/** A mirror socket holding more than this many unsent bytes gets no new frame: diffs fold. */
export const SHADOW_BACKPRESSURE_BYTES = 16 * 1024;
/** Reconnect delays after consecutive failures, ms (each ±25 % jitter); the last repeats. */
export const SHADOW_BACKOFF_MS: readonly number[] = [500, 1000, 2000, 5000, 10_000, 30_000];
/** SHADOW_BACKOFF_MS ± 25 %, through the protocol's one backoff function. */
export const SHADOW_BACKOFF: BackoffSchedule = { delaysMs: SHADOW_BACKOFF_MS, jitter: 0.25 };
/** A socket with no frame or ping from staging for this long is dropped and redialled, ms (staging pings every 2 s). */
export const SHADOW_SILENCE_MS = 10_000;
/** Renew the staging token in-band this long before it expires, s. */
export const SHADOW_RENEW_BEFORE_S = 120;
/** `ws`'s readyState of an open socket. */
export const WS_OPEN = 1;

/** The part of a `ws` WebSocket the mirror uses (tests inject a fake). */
export interface MirrorSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code: number): void;
  terminate(): void;
  on(event: "message", listener: (data: Buffer) => void): unknown;
  on(event: "close", listener: (code: number) => void): unknown;
  on(event: "error", listener: (err: Error) => void): unknown;
  on(event: "ping", listener: () => void): unknown;
}

export interface ShadowCounters {
  shadowMirrored: number;
  shadowDropped: number;
  /** Mirror sockets welcomed by staging right now. */
  shadowConnections: number;
}

/** What every mirror connection shares, from shadow.ts. */
export interface MirrorContext {
  /** Staging base, e.g. ws://staging:8787 (no trailing slash). */
  readonly baseUrl: string;
  readonly key: ShadowKey;
  readonly stats: ShadowCounters;
  /** Wall time (token iat/exp) and the redial timers. */
  readonly clock: Clock;
  /** Monotonic clock, ms (staging's token bucket, silence). */
  readonly monotonicNow: () => number;
  readonly random: () => number;
  readonly connect: (url: string) => MirrorSocket;
  /** A diff is waiting for a token or for the socket to drain: flush me soon. */
  readonly wantFlush: (conn: MirrorConnection) => void;
  /** Throttled log of staging trouble; never given tokens, URLs or presence. */
  readonly report: (event: string, detail: Readonly<Record<string, unknown>>) => void;
}

/**
 * connecting → open (staging's WELCOME) → backoff (socket lost) → connecting …;
 * replaced (staging closed 4009: a newer socket has the id) and closed (the
 * production connection ended) are final.
 */
export type MirrorPhase = "connecting" | "open" | "backoff" | "replaced" | "closed";

export interface MirrorConnection {
  readonly phase: MirrorPhase;
  updated(state: PresenceData, patch: Patch): void;
  /** Sends what is waiting if it can; returns true when nothing waits any more. */
  flush(): boolean;
  /** Once a second: silence detection and token renewal. */
  sweep(): void;
  /** The production connection ended; `left` = it left cleanly. */
  end(left: boolean): void;
}
