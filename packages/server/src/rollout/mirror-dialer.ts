// The socket side of one mirror connection (shadow-connection.ts): sign a token
// staging trusts, dial staging's normal endpoint as the production client, wait
// for the WELCOME (then re-assert the whole state), and after a lost socket
// redial with backoff (SHADOW_BACKOFF through the protocol's one backoff
// function, timers on ctx.clock). Staging closing with 4009 means a newer socket
// holds the id: the mirror stops rather than fight it.
import { assertNever, backoffDelay, encode, MessageType } from "@collabblocks/protocol";
import { isDerivedConnectionId } from "../edge/identity.js";
import { type MirrorSocket, SHADOW_BACKOFF, SHADOW_RENEW_BEFORE_S } from "./mirror-context.js";
import { adoptLimits, catchUp, type MirrorCore } from "./mirror-core.js";
import { signShadowToken } from "./shadow-key.js";
import { readStagingFrame } from "./staging-frames.js";

/** Staging replaced us with a newer socket of the same connectionId: stop, do not fight it. */
const CLOSE_SESSION_REPLACED = 4009;

/**
 * How the mirror names itself to staging. A production id an SDK derived from its
 * identity key (PROTOCOL.md §1) cannot be claimed as a plain `cid` anywhere, staging
 * included; the mirror then sends it as the identity key, and staging derives a
 * stable id of its own from it. Other ids are kept as they are.
 */
export function stagingIdentity(productionId: string): { readonly cid: string } | { readonly key: string } {
  return isDerivedConnectionId(productionId) ? { key: productionId } : { cid: productionId };
}

const nowS = (core: MirrorCore): number => core.ctx.clock.now() / 1000;

/** The token is missing or within SHADOW_RENEW_BEFORE_S of its expiry. */
export function tokenDue(core: MirrorCore): boolean {
  return !core.token || core.token.exp - nowS(core) < SHADOW_RENEW_BEFORE_S;
}

/** Opens a socket to staging (signing a token first when due); on failure, retries later. */
export async function dial(core: MirrorCore): Promise<void> {
  const { ctx, init } = core;
  core.timer = undefined;
  if (core.phase === "closed" || core.phase === "replaced") return;
  core.phase = "connecting";
  const gen = ++core.generation;
  try {
    if (tokenDue(core)) core.token = await signShadowToken(ctx.key, init.claims, nowS(core));
  } catch (err) {
    ctx.report("cannot sign a staging token", { err: (err as Error).message });
    if (gen === core.generation && core.phase === "connecting") retryLater(core);
    return;
  }
  if (gen !== core.generation || core.phase !== "connecting") return;
  const q = new URLSearchParams({ token: core.token!.token, ...stagingIdentity(init.connectionId) });
  let socket: MirrorSocket;
  try {
    socket = ctx.connect(`${ctx.baseUrl}/v1/rooms/${encodeURIComponent(init.stagingRoom)}?${q}`);
  } catch (err) {
    ctx.report("cannot reach staging", { err: (err as Error).message });
    retryLater(core);
    return;
  }
  listen(core, socket);
}

function listen(core: MirrorCore, socket: MirrorSocket): void {
  const heard = (): void => {
    core.lastHeard = core.ctx.monotonicNow();
  };
  core.ws = socket;
  heard();
  socket.on("message", (data) => {
    heard();
    onFrame(core, data);
  });
  socket.on("ping", heard);
  socket.on("close", (code) => onClose(core, socket, code));
  socket.on("error", (err) => core.ctx.report("cannot reach staging", { err: err.message }));
}

/** Waits the backoff delay for the current attempt, then dials again. */
export function retryLater(core: MirrorCore): void {
  core.phase = "backoff";
  const delay = backoffDelay(SHADOW_BACKOFF, core.attempt++, core.ctx.random);
  core.timer = core.ctx.clock.setTimeout(() => void dial(core), delay);
}

/** No more dials: cancels a pending one, and one whose token is still being signed. */
export function stopDialing(core: MirrorCore): void {
  if (core.timer !== undefined) core.ctx.clock.clearTimeout(core.timer);
  core.timer = undefined;
  core.generation++;
}

function onFrame(core: MirrorCore, data: Buffer): void {
  if (core.phase !== "open" && core.phase !== "connecting") return;
  const frame = readStagingFrame(data, core.phase === "open");
  switch (frame.kind) {
    case "other":
      return;
    case "undecodable":
      core.ctx.report("staging sent an undecodable frame", {});
      core.ws?.terminate();
      return;
    case "error":
      if (core.phase === "open") core.ctx.report("staging error", { code: frame.code });
      else core.ctx.report("staging refused a mirrored connection", { code: frame.code });
      return;
    case "welcome":
      core.phase = "open";
      core.attempt = 0;
      core.ctx.stats.shadowConnections++;
      adoptLimits(core, frame.limits);
      catchUp(core, true);
      return;
    default:
      assertNever(frame);
  }
}

function onClose(core: MirrorCore, socket: MirrorSocket, code: number): void {
  if (socket !== core.ws) return;
  core.ws = undefined;
  if (core.phase === "open") core.ctx.stats.shadowConnections--;
  if (core.phase === "closed" || core.phase === "replaced") return;
  if (code === CLOSE_SESSION_REPLACED) {
    core.phase = "replaced";
    core.ledger.loseWaiting();
    return;
  }
  if (core.phase === "connecting") core.token = undefined; // refused before the welcome: sign afresh next time
  // Diffs waiting for this socket are lost with it (the next welcome re-asserts the state).
  core.ledger.loseWaiting();
  retryLater(core);
}

/** Signs a fresh token and sends it in-band as AUTH on the same socket, if still open. */
export function renewToken(core: MirrorCore): void {
  core.renewing = true;
  const socket = core.ws;
  signShadowToken(core.ctx.key, core.init.claims, nowS(core)).then(
    (next) => {
      core.renewing = false;
      if (socket !== core.ws || core.phase !== "open") return;
      core.token = next;
      socket!.send(encode({ type: MessageType.AUTH, token: next.token }));
    },
    (err: unknown) => {
      core.renewing = false;
      core.ctx.report("cannot sign a staging token", { err: (err as Error).message });
    },
  );
}
