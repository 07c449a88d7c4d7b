// One mirrored production connection (shadow.ts): a WebSocket to the staging
// edge's normal endpoint, joined as the production client (same user, plan,
// org, info and connectionId) with a token staging trusts. It replays the
// client's presence as an SDK would: the entered state once welcomed, then each
// accepted patch as UPDATE_PRESENCE, and a close when the client goes.
//
// It never queues more than one message's worth: `state` is the production
// truth, `staged` what staging holds from us, and `dirty` counts production diffs
// not reproduced yet. A patch goes out at once when the socket is open, nothing is
// waiting, staging's token bucket (from its welcome) has a token and fewer than
// SHADOW_BACKPRESSURE_BYTES are buffered; otherwise it is folded into the next
// flush, which sends the difference staged → state as one patch. A reconnect
// re-asserts the whole state. Counting: every production diff ends as one
// `shadowMirrored` (reproduced) or one `shadowDropped` (folded into another
// message, lost with a socket, or arriving while staging is unreachable), so
// mirrored + dropped = diffs observed; drops are counted when they happen.
import {
  type BackoffSchedule,
  backoffDelay,
  decodeServerMessage,
  encode,
  jsonEqual,
  MAX_INBOUND_FRAME_BYTES,
  MessageType,
  type Patch,
  type PresenceData,
} from "@collabblocks/protocol";
import { isDerivedConnectionId } from "../edge/identity.js";
import {
  createTokenBucket,
  type TokenBucket,
  type TokenBucketSpec,
  takeToken,
} from "../limits/token-bucket.js";
import type { ShadowClaims, ShadowKey } from "./shadow-key.js";
import { signShadowToken } from "./shadow-key.js";

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
/** Close codes toward staging: the client left cleanly, or anything else (staging keeps a ghost, then expires it). */
const CLOSE_LEFT = 1000;
const CLOSE_DROPPED = 4000;
/** Staging replaced us with a newer socket of the same connectionId: stop, do not fight it. */
const CLOSE_SESSION_REPLACED = 4009;
const WS_OPEN = 1;

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
  /** Wall clock, ms (token iat/exp). */
  readonly now: () => number;
  /** Monotonic clock, ms. */
  readonly monotonicNow: () => number;
  readonly random: () => number;
  readonly connect: (url: string) => MirrorSocket;
  /** A diff is waiting for a token or for the socket to drain: flush me soon. */
  readonly wantFlush: (conn: MirrorConnection) => void;
  /** Throttled log of staging trouble; never given tokens, URLs or presence. */
  readonly report: (event: string, detail: Readonly<Record<string, unknown>>) => void;
}

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

/** The patch that turns `from` into `to` (values compared deeply). */
export function diffStates(from: PresenceData, to: PresenceData): Patch {
  const set: Record<string, PresenceData[string]> = {};
  for (const key of Object.keys(to)) {
    if (!Object.hasOwn(from, key) || !jsonEqual(from[key]!, to[key]!)) set[key] = to[key]!;
  }
  return { set: set as PresenceData, del: Object.keys(from).filter((k) => !Object.hasOwn(to, k)) };
}

export function createMirrorConnection(
  ctx: MirrorContext,
  init: { readonly stagingRoom: string; readonly connectionId: string; readonly claims: ShadowClaims },
  entered: PresenceData,
): MirrorConnection {
  const { stats } = ctx;
  let phase: MirrorPhase = "connecting";
  let state = entered;
  /** What staging holds from us, as far as we know ({} until something was sent). */
  let staged: PresenceData = {};
  let dirty = 1; // the enter itself, reproduced by the welcome
  let ws: MirrorSocket | undefined;
  let attempt = 0;
  let generation = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let token: { token: string; exp: number } | undefined;
  let renewing = false;
  let lastHeard = ctx.monotonicNow();
  let limits: TokenBucketSpec = { ratePerSecond: 20, burst: 5 };
  let bucket: TokenBucket = createTokenBucket(limits, ctx.monotonicNow());

  const nowS = () => ctx.now() / 1000;

  const sendable = (): boolean =>
    phase === "open" &&
    ws !== undefined &&
    ws.readyState === WS_OPEN &&
    ws.bufferedAmount <= SHADOW_BACKPRESSURE_BYTES &&
    takeToken(bucket, limits, ctx.monotonicNow());

  const write = (patch: Patch): void => {
    ws!.send(encode({ type: MessageType.UPDATE_PRESENCE, set: patch.set, del: patch.del }));
  };

  /** Sends staged → state (`full`: every key, after a reconnect). Returns true when nothing waits. */
  const catchUp = (full: boolean): boolean => {
    const patch = full
      ? { set: state, del: Object.keys(staged).filter((k) => !Object.hasOwn(state, k)) }
      : diffStates(staged, state);
    if (Object.keys(patch.set).length === 0 && patch.del.length === 0) {
      if (dirty > 0) {
        stats.shadowMirrored++; // net no change: the welcome or the last write stands for the newest diff
        stats.shadowDropped += dirty - 1;
      }
      dirty = 0;
      return true;
    }
    const frameBytes = encode({ type: MessageType.UPDATE_PRESENCE, set: patch.set, del: patch.del }).length;
    if (frameBytes > MAX_INBOUND_FRAME_BYTES && patch.del.length > 0) {
      // A full state plus many deletions may not fit staging's 4 KB inbound frame: deletions first.
      // Then staged = {}: the next flush sets every key, whatever staging still had.
      write({ set: {}, del: patch.del });
      staged = {};
      ctx.wantFlush(conn);
      return false;
    }
    write(patch);
    staged = state;
    if (dirty > 0) {
      stats.shadowMirrored++; // one message reproduces the newest diff; the others were folded into it
      stats.shadowDropped += dirty - 1;
    }
    dirty = 0;
    return true;
  };

  const clearTimer = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };

  const onClose = (socket: MirrorSocket, code: number): void => {
    if (socket !== ws) return;
    ws = undefined;
    if (phase === "open") stats.shadowConnections--;
    if (phase === "closed" || phase === "replaced") return;
    if (code === CLOSE_SESSION_REPLACED) {
      phase = "replaced";
      stats.shadowDropped += dirty;
      dirty = 0;
      return;
    }
    if (phase === "connecting") token = undefined; // refused before the welcome: sign afresh next time
    // Diffs waiting for this socket are lost with it (the next welcome re-asserts the state),
    // and counted now, so a staging outage shows in the metrics at once, not at reconnect.
    stats.shadowDropped += dirty;
    dirty = 0;
    retryLater();
  };

  function retryLater(): void {
    phase = "backoff";
    timer = setTimeout(connect, backoffDelay(SHADOW_BACKOFF, attempt++, ctx.random));
    timer.unref?.();
  }

  const onMessage = (data: Buffer): void => {
    lastHeard = ctx.monotonicNow();
    if (phase === "open") {
      // Staging fans every room update out to this socket too; decoding those would cost
      // production CPU for nothing. Only an ERROR (fixarray whose first item is 2) is read.
      if (data.length > 1 && (data[0]! & 0xf0) === 0x90 && data[1] === MessageType.ERROR) {
        const msg = decodeServerMessage(data);
        if (msg.type === MessageType.ERROR) ctx.report("staging error", { code: msg.code });
      }
      return;
    }
    if (phase !== "connecting") return;
    let msg: ReturnType<typeof decodeServerMessage>;
    try {
      msg = decodeServerMessage(data);
    } catch {
      ctx.report("staging sent an undecodable frame", {});
      ws?.terminate();
      return;
    }
    if (msg.type === MessageType.ERROR) {
      ctx.report("staging refused a mirrored connection", { code: msg.code });
      return;
    }
    if (msg.type !== MessageType.WELCOME) return;
    phase = "open";
    attempt = 0;
    stats.shadowConnections++;
    limits = { ratePerSecond: msg.limits.ratePerSecond, burst: msg.limits.burst };
    bucket = createTokenBucket(limits, ctx.monotonicNow());
    takeToken(bucket, limits, ctx.monotonicNow()); // for the re-assert
    catchUp(true);
  };

  async function connect(): Promise<void> {
    timer = undefined;
    if (phase === "closed" || phase === "replaced") return;
    phase = "connecting";
    const gen = ++generation;
    try {
      if (!token || token.exp - nowS() < SHADOW_RENEW_BEFORE_S)
        token = await signShadowToken(ctx.key, init.claims, nowS());
    } catch (err) {
      ctx.report("cannot sign a staging token", { err: (err as Error).message });
      if (gen === generation && phase === "connecting") retryLater();
      return;
    }
    if (gen !== generation || phase !== "connecting") return;
    const q = new URLSearchParams({ token: token.token, ...stagingIdentity(init.connectionId) });
    let socket: MirrorSocket;
    try {
      socket = ctx.connect(`${ctx.baseUrl}/v1/rooms/${encodeURIComponent(init.stagingRoom)}?${q}`);
    } catch (err) {
      ctx.report("cannot reach staging", { err: (err as Error).message });
      retryLater();
      return;
    }
    ws = socket;
    lastHeard = ctx.monotonicNow();
    socket.on("message", onMessage);
    socket.on("ping", () => {
      lastHeard = ctx.monotonicNow();
    });
    socket.on("close", (code) => onClose(socket, code));
    socket.on("error", (err) => ctx.report("cannot reach staging", { err: err.message }));
  }

  const renew = (): void => {
    renewing = true;
    const socket = ws;
    signShadowToken(ctx.key, init.claims, nowS()).then(
      (next) => {
        renewing = false;
        if (socket !== ws || phase !== "open") return;
        token = next;
        socket!.send(encode({ type: MessageType.AUTH, token: next.token }));
      },
      (err: unknown) => {
        renewing = false;
        ctx.report("cannot sign a staging token", { err: (err as Error).message });
      },
    );
  };

  const conn: MirrorConnection = {
    get phase() {
      return phase;
    },
    updated(next, patch) {
      state = next;
      if (phase === "open" && dirty === 0 && sendable()) {
        write(patch);
        staged = state;
        stats.shadowMirrored++;
        return;
      }
      if (phase === "backoff" || phase === "replaced" || phase === "closed") {
        stats.shadowDropped++; // the next welcome re-asserts the state; this diff is not reproduced
        return;
      }
      dirty++;
      if (phase === "open") ctx.wantFlush(conn);
    },
    flush() {
      // Not open: the re-assert after the welcome carries whatever is dirty.
      if (phase !== "open" || dirty === 0) return true;
      if (!sendable()) return false;
      return catchUp(false);
    },
    sweep() {
      if (ws && (phase === "open" || phase === "connecting")) {
        if (ctx.monotonicNow() - lastHeard > SHADOW_SILENCE_MS) {
          ctx.report("staging went silent; redialling", {});
          ws.terminate();
          return;
        }
      }
      if (phase === "open" && !renewing && token && token.exp - nowS() < SHADOW_RENEW_BEFORE_S) renew();
    },
    end(left) {
      if (phase === "closed") return;
      const wasOpen = phase === "open";
      if (wasOpen && dirty > 0 && sendable()) catchUp(false);
      clearTimer();
      generation++;
      if (phase === "replaced") stats.shadowDropped++;
      else if (wasOpen) {
        stats.shadowMirrored++; // the leave
        stats.shadowDropped += dirty;
      } else stats.shadowDropped += dirty + 1;
      dirty = 0;
      phase = "closed";
      const socket = ws;
      ws = undefined;
      if (wasOpen) stats.shadowConnections--;
      if (socket) {
        if (socket.readyState === WS_OPEN) socket.close(left ? CLOSE_LEFT : CLOSE_DROPPED);
        else socket.terminate();
      }
    },
  };
  void connect();
  return conn;
}

/**
 * How the mirror names itself to staging. A production id an SDK derived from its
 * identity key (PROTOCOL.md §1) cannot be claimed as a plain `cid` anywhere, staging
 * included; the mirror then sends it as the identity key, and staging derives a
 * stable id of its own from it. Other ids are kept as they are.
 */
export function stagingIdentity(productionId: string): { readonly cid: string } | { readonly key: string } {
  return isDerivedConnectionId(productionId) ? { key: productionId } : { cid: productionId };
}
