// One mirrored production connection (shadow.ts): a WebSocket to the staging
// edge's normal endpoint, joined as the production client (same user, plan,
// org, info and connectionId) with a token staging trusts. It replays the
// client's presence as an SDK would: the entered state once welcomed, then each
// accepted patch as UPDATE_PRESENCE, and a close when the client goes.
//
// It never queues more than one message's worth (mirror-ledger.ts). A patch goes
// out at once when the socket is open, nothing is waiting, staging's token bucket
// (from its welcome) has a token and fewer than SHADOW_BACKPRESSURE_BYTES are
// buffered; otherwise it is folded into the next flush, which sends the
// difference staged → state as one patch (mirror-core.ts). A reconnect
// re-asserts the whole state (mirror-dialer.ts).
import type { Patch, PresenceData } from "@collabblocks/protocol";
import { type MirrorConnection, type MirrorContext, SHADOW_SILENCE_MS, WS_OPEN } from "./mirror-context.js";
import {
  catchUp,
  createMirrorCore,
  type MirrorCore,
  type MirrorInit,
  sendable,
  writePatch,
} from "./mirror-core.js";
import { dial, renewToken, stopDialing, tokenDue } from "./mirror-dialer.js";

/** Close codes toward staging: the client left cleanly, or anything else (staging keeps a ghost, then expires it). */
const CLOSE_LEFT = 1000;
const CLOSE_DROPPED = 4000;

export function createMirrorConnection(
  ctx: MirrorContext,
  init: MirrorInit,
  entered: PresenceData,
): MirrorConnection {
  const core = createMirrorCore(ctx, init, entered, () => ctx.wantFlush(conn));
  const conn: MirrorConnection = {
    get phase() {
      return core.phase;
    },
    updated: (next, patch) => mirrorUpdate(core, next, patch),
    flush() {
      // Not open: the re-assert after the welcome carries whatever is dirty.
      if (core.phase !== "open" || core.ledger.dirty === 0) return true;
      if (!sendable(core)) return false;
      return catchUp(core, false);
    },
    sweep: () => sweepMirror(core),
    end: (left) => endMirror(core, left),
  };
  void dial(core);
  return conn;
}

function mirrorUpdate(core: MirrorCore, next: PresenceData, patch: Patch): void {
  const { ledger } = core;
  ledger.observe(next);
  if (core.phase === "open" && ledger.dirty === 0 && sendable(core)) {
    writePatch(core, patch);
    ledger.sentAtOnce();
    return;
  }
  if (core.phase === "backoff" || core.phase === "replaced" || core.phase === "closed") {
    ledger.drop(); // the next welcome re-asserts the state; this diff is not reproduced
    return;
  }
  ledger.fold();
  if (core.phase === "open") core.wantFlush();
}

/** Silence detection (terminate: the close redials) and in-band token renewal. */
function sweepMirror(core: MirrorCore): void {
  const { ws, phase } = core;
  if (ws && (phase === "open" || phase === "connecting")) {
    if (core.ctx.monotonicNow() - core.lastHeard > SHADOW_SILENCE_MS) {
      core.ctx.report("staging went silent; redialling", {});
      ws.terminate();
      return;
    }
  }
  if (phase === "open" && !core.renewing && core.token && tokenDue(core)) renewToken(core);
}

function endMirror(core: MirrorCore, left: boolean): void {
  if (core.phase === "closed") return;
  const wasOpen = core.phase === "open";
  if (wasOpen && core.ledger.dirty > 0 && sendable(core)) catchUp(core, false);
  stopDialing(core);
  core.ledger.ended(wasOpen);
  core.phase = "closed";
  const socket = core.ws;
  core.ws = undefined;
  if (wasOpen) core.ctx.stats.shadowConnections--;
  if (socket) {
    if (socket.readyState === WS_OPEN) socket.close(left ? CLOSE_LEFT : CLOSE_DROPPED);
    else socket.terminate();
  }
}
