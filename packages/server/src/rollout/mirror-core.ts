// The state of one mirror connection (shadow-connection.ts), shared by its send
// side (here: write at once when staging can take it, else fold into one
// catch-up patch) and its socket side (mirror-dialer.ts: dial, welcome, close,
// backoff). One object, not a closure, so each side is a set of small functions.
import {
  encode,
  MAX_INBOUND_FRAME_BYTES,
  MessageType,
  type Patch,
  type PresenceData,
  RATE_BURST,
  RATE_PER_SECOND,
} from "@collabblocks/protocol";
import {
  createTokenBucket,
  type TokenBucket,
  type TokenBucketSpec,
  takeToken,
} from "../limits/token-bucket.js";
import type { TimerHandle } from "../ops/clock.js";
import {
  type MirrorContext,
  type MirrorPhase,
  type MirrorSocket,
  SHADOW_BACKPRESSURE_BYTES,
  WS_OPEN,
} from "./mirror-context.js";
import { createMirrorLedger, isEmptyPatch, type MirrorLedger } from "./mirror-ledger.js";
import type { ShadowClaims } from "./shadow-key.js";

/** Staging's rate limit until its WELCOME says otherwise: the protocol's (PROTOCOL.md §6). */
const PRE_WELCOME_LIMITS: TokenBucketSpec = { ratePerSecond: RATE_PER_SECOND, burst: RATE_BURST };

export interface MirrorInit {
  readonly stagingRoom: string;
  readonly connectionId: string;
  readonly claims: ShadowClaims;
}

export interface MirrorCore {
  readonly ctx: MirrorContext;
  readonly init: MirrorInit;
  readonly ledger: MirrorLedger;
  /** Asks the shadow mirror to flush this connection soon (ctx.wantFlush with the connection). */
  readonly wantFlush: () => void;
  phase: MirrorPhase;
  ws: MirrorSocket | undefined;
  /** Consecutive failed dials: the backoff index. */
  attempt: number;
  /** Bumped by every dial and by the end: an async dial step that finds it changed gives up. */
  generation: number;
  /** The pending redial. */
  timer: TimerHandle | undefined;
  token: { readonly token: string; readonly exp: number } | undefined;
  renewing: boolean;
  /** ctx.monotonicNow() of the last frame or ping from staging. */
  lastHeard: number;
  limits: TokenBucketSpec;
  bucket: TokenBucket;
}

export function createMirrorCore(
  ctx: MirrorContext,
  init: MirrorInit,
  entered: PresenceData,
  wantFlush: () => void,
): MirrorCore {
  const now = ctx.monotonicNow();
  return {
    ctx,
    init,
    ledger: createMirrorLedger(ctx.stats, entered),
    wantFlush,
    phase: "connecting",
    ws: undefined,
    attempt: 0,
    generation: 0,
    timer: undefined,
    token: undefined,
    renewing: false,
    lastHeard: now,
    limits: PRE_WELCOME_LIMITS,
    bucket: createTokenBucket(PRE_WELCOME_LIMITS, now),
  };
}

/** Staging's limits from its welcome: a fresh bucket, one token taken for the re-assert. */
export function adoptLimits(core: MirrorCore, limits: TokenBucketSpec): void {
  core.limits = { ratePerSecond: limits.ratePerSecond, burst: limits.burst };
  core.bucket = createTokenBucket(core.limits, core.ctx.monotonicNow());
  takeToken(core.bucket, core.limits, core.ctx.monotonicNow());
}

/** Open, not backed up, and staging's bucket has a token (which this takes). */
export function sendable(core: MirrorCore): boolean {
  const { ws } = core;
  return (
    core.phase === "open" &&
    ws !== undefined &&
    ws.readyState === WS_OPEN &&
    ws.bufferedAmount <= SHADOW_BACKPRESSURE_BYTES &&
    takeToken(core.bucket, core.limits, core.ctx.monotonicNow())
  );
}

function encodePatch(patch: Patch): Uint8Array {
  return encode({ type: MessageType.UPDATE_PRESENCE, set: patch.set, del: patch.del });
}

/** Sends one patch as UPDATE_PRESENCE (the caller checked `sendable`). */
export function writePatch(core: MirrorCore, patch: Patch): void {
  core.ws!.send(encodePatch(patch));
}

/** Sends staged → state (`full`: every key, after a welcome). Returns true when nothing waits. */
export function catchUp(core: MirrorCore, full: boolean): boolean {
  const { ledger } = core;
  const patch = ledger.pending(full);
  if (isEmptyPatch(patch)) {
    ledger.settled(); // net no change: the welcome or the last write stands for the newest diff
    return true;
  }
  const frame = encodePatch(patch);
  if (frame.length > MAX_INBOUND_FRAME_BYTES && patch.del.length > 0) {
    // A full state plus many deletions may not fit staging's 4 KB inbound frame: deletions first.
    // Then staged = {}: the next flush sets every key, whatever staging still had.
    writePatch(core, { set: {}, del: patch.del });
    ledger.forgetStaged();
    core.wantFlush();
    return false;
  }
  core.ws!.send(frame);
  ledger.settled();
  return true;
}
