// The attacker side of the live fuzz suite (security/live-fuzz.integration.test.ts):
// a raw `ws` client that records every server frame strictly (an undecodable one is
// kept as evidence, never thrown), an oracle that says what the server must answer
// to each frame, and a check that the answers line up with the frames.
//
// The oracle is the protocol's own code: decodeClientMessage (framing, PROTOCOL.md §2),
// applyValidatedPatch (§6) and validateView (§8). Rate limits are kept out of the
// picture by a budget per fresh connection (a full bucket never refuses), so every
// frame has one possible answer, except RTT reports, whose verdict depends on the
// time since the join (§3) and may be an error or nothing.
import {
  applyValidatedPatch,
  type ClientMessage,
  decodeClientMessage,
  decodeServerMessage,
  ERRORS,
  type ErrorCode,
  isErrorCode,
  jsonEqual,
  MAX_INBOUND_FRAME_BYTES,
  MessageType,
  type PeerState,
  type PresenceData,
  ProtocolError,
  RTT_BUCKETS_MS,
  validateEvent,
  validateView,
} from "@collabblocks/protocol";
import WebSocket from "ws";
import { CONTROL_BUCKET, PATCH_BUCKET, SYNC_BUCKET, VIEW_BUCKET } from "../edge/connection.js";
import type { Frame } from "./hostile-frames.js";

/** An answer the server sends synchronously while handling a frame (in frame order). */
export type Answer =
  | { readonly kind: "error"; readonly code: string; readonly fatal: boolean; readonly message: string }
  | { readonly kind: "pong"; readonly t: number };

export interface Attacker {
  readonly ws: WebSocket;
  connectionId: string | undefined;
  /** The epoch of the WELCOME (0 before it). */
  epoch: number;
  /** The entries of the join snapshot (SNAPSHOT_CHUNK with syncId 0 before the join's SNAPSHOT_DONE). */
  readonly joinSnapshot: PeerState[];
  readonly answers: Answer[];
  /** Server frames the protocol's decoder refuses: each one is a finding. */
  readonly undecodable: { readonly error: string; readonly head: string; readonly length: number }[];
  /**
   * ERROR frames refused by the decoder only because their message is longer than it
   * allows (a known server bug, see security/README.md); also recorded in `answers`.
   */
  readonly overlongErrors: { readonly code: string; readonly length: number }[];
  /** syncIds of the SNAPSHOT_DONE frames answering SYNC_REQUESTs. */
  readonly snapshotsDone: number[];
  /** Set once the socket has closed. */
  closedWith: { readonly code: number; readonly reason: string } | undefined;
  /** Welcome and join snapshot received. */
  readonly ready: Promise<void>;
  send(frame: Frame): void;
  waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void>;
}

/** Connects to `room`; `resume` puts `cid` (and `epoch`, when given) in the connect URL (PROTOCOL.md §1). */
export function connectAttacker(
  wsUrl: string,
  room: string,
  token: string,
  resume?: { readonly cid: string; readonly epoch: number | undefined },
): Attacker {
  const q = new URLSearchParams({ token });
  if (resume) q.set("cid", resume.cid);
  if (resume?.epoch !== undefined) q.set("epoch", String(resume.epoch));
  const ws = new WebSocket(`${wsUrl}/v1/rooms/${room}?${q}`, { perMessageDeflate: false });
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  let joined = false;
  const attacker: Attacker = {
    ws,
    connectionId: undefined,
    epoch: 0,
    joinSnapshot: [],
    answers: [],
    undecodable: [],
    overlongErrors: [],
    snapshotsDone: [],
    closedWith: undefined,
    ready: new Promise<void>((resolve, reject) => {
      waiters.add(function check() {
        if (joined) resolve();
        else if (attacker.closedWith) reject(new Error(`attacker closed with ${attacker.closedWith.code}`));
        else return;
        waiters.delete(check);
      });
    }),
    send(frame) {
      if (ws.readyState !== ws.OPEN) return; // closed by the server: the rest is never processed
      if (frame.kind === "text") ws.send(frame.text);
      else if (frame.kind === "text-bytes") ws.send(frame.bytes, { binary: false });
      else if (frame.split === undefined) ws.send(frame.bytes, { binary: true });
      else {
        ws.send(frame.bytes.subarray(0, frame.split), { binary: true, fin: false });
        ws.send(frame.bytes.subarray(frame.split), { binary: true, fin: true });
      }
    },
    waitFor(predicate, timeoutMs, what) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        function check() {
          if (!predicate()) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        }
        waiters.add(check);
        check();
      });
    },
  };
  attacker.ready.catch(() => {});
  ws.on("error", () => {}); // followed by close, which is recorded
  ws.on("close", (code, reason) => {
    attacker.closedWith = { code, reason: reason.toString() };
    notify();
  });
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    try {
      if (!isBinary) throw new Error("text frame from the server");
      const msg = decodeServerMessage(data);
      if (msg.type === MessageType.WELCOME) {
        attacker.connectionId = msg.connectionId;
        attacker.epoch = msg.epoch;
      } else if (msg.type === MessageType.SNAPSHOT_CHUNK && msg.syncId === 0 && !joined) {
        attacker.joinSnapshot.push(...msg.entries);
      } else if (msg.type === MessageType.ERROR) attacker.answers.push({ kind: "error", ...msg });
      else if (msg.type === MessageType.PONG) attacker.answers.push({ kind: "pong", t: msg.t });
      else if (msg.type === MessageType.SNAPSHOT_DONE) {
        if (msg.syncId === 0) joined = true;
        else attacker.snapshotsDone.push(msg.syncId);
      }
    } catch (err) {
      const overlong = overlongError(data);
      if (overlong) {
        attacker.answers.push(overlong);
        attacker.overlongErrors.push({ code: overlong.code, length: overlong.message.length });
      } else {
        const head = data.subarray(0, 48).toString("hex");
        attacker.undecodable.push({ error: (err as Error).message.slice(0, 200), head, length: data.length });
      }
    }
    notify();
  });
  return attacker;
}

/**
 * `[2, code, message, fatal]` whose only fault is a message over the decoder's 4 096
 * characters: read by hand (str8/16/32 headers), since the protocol's decoder refuses it.
 */
function overlongError(data: Buffer): (Answer & { kind: "error" }) | undefined {
  let at = 2;
  const str = (): string | undefined => {
    const b = data[at];
    if (b === undefined) return undefined;
    let len: number;
    let start: number;
    if (b >= 0xa0 && b <= 0xbf) [len, start] = [b - 0xa0, at + 1];
    else if (b === 0xd9) [len, start] = [data.readUInt8(at + 1), at + 2];
    else if (b === 0xda) [len, start] = [data.readUInt16BE(at + 1), at + 3];
    else if (b === 0xdb) [len, start] = [data.readUInt32BE(at + 1), at + 5];
    else return undefined;
    at = start + len;
    return data.toString("utf8", start, at);
  };
  if (data[0] !== 0x94 || data[1] !== MessageType.ERROR) return undefined;
  const code = str();
  const message = str();
  const fatal = data[at] === 0xc3;
  if (code === undefined || message === undefined || at + 1 !== data.length || !isErrorCode(code))
    return undefined;
  if (message.length <= 4096 || ERRORS[code].fatal !== fatal) return undefined;
  return { kind: "error", code, message, fatal };
}

// ---- the oracle ----

export type Expectation =
  | { readonly kind: "error"; readonly codes: readonly string[]; readonly label: string }
  | { readonly kind: "maybe-error"; readonly codes: readonly string[]; readonly label: string }
  | { readonly kind: "pong"; readonly t: number; readonly label: string }
  | { readonly kind: "none"; readonly label: string }
  | { readonly kind: "oversize"; readonly label: string };

/** One connection's expected answers and presence, frame by frame. */
export interface Plan {
  readonly expectations: Expectation[];
  /** The connection's presence after the first i frames were handled (index 0: before any). */
  readonly states: PresenceData[];
  /** Accepted patches after the first i frames were handled. */
  readonly accepted: number[];
  readonly syncIds: number[];
  /** AUTHs whose token the server must refuse (asynchronously, with a fatal error): frame index and code. */
  readonly refusedAuths: { readonly at: number; readonly code: ErrorCode }[];
  oversizeAt: number | undefined;
  readonly used: { patches: number; syncs: number; views: number; control: number };
}

export function createPlan(): Plan {
  return {
    expectations: [],
    states: [{}],
    accepted: [0],
    syncIds: [],
    refusedAuths: [],
    oversizeAt: undefined,
    used: { patches: 0, syncs: 0, views: 0, control: 0 },
  };
}

/** One token short of the control burst: the barrier PING needs it. */
const LIMITS = {
  patches: PATCH_BUCKET.burst,
  syncs: SYNC_BUCKET.burst,
  views: VIEW_BUCKET.burst,
  control: CONTROL_BUCKET.burst - 1,
};

const frameSize = (f: Frame) => (f.kind === "text" ? Buffer.byteLength(f.text) : f.bytes.length);

/**
 * Adds a frame to the plan and returns true, or returns false (do not send it) when it
 * would spend more of a rate-limit bucket than a fresh connection holds.
 * `auth`: what the server must answer to the token of an AUTH in this frame, asynchronously
 * (a junk token decoded from a hostile frame is INVALID_TOKEN).
 */
export function planFrame(plan: Plan, frame: Frame, auth: ErrorCode | "accepted" = "INVALID_TOKEN"): boolean {
  if (plan.oversizeAt !== undefined) return false; // the socket is closed by then
  const { label } = frame;
  let exp: Expectation | false;
  let next = { state: plan.states.at(-1)!, accepted: plan.accepted.at(-1)! };
  if (frameSize(frame) > MAX_INBOUND_FRAME_BYTES) {
    exp = { kind: "oversize", label };
    plan.oversizeAt = plan.expectations.length;
  } else if (frame.kind !== "binary") {
    exp = { kind: "error", codes: ["MALFORMED_MESSAGE"], label };
  } else {
    let msg: ClientMessage | undefined;
    try {
      msg = decodeClientMessage(frame.bytes, MAX_INBOUND_FRAME_BYTES);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
    }
    if (msg === undefined) exp = { kind: "error", codes: ["MALFORMED_MESSAGE"], label };
    else {
      const judged = judge(plan, msg, label, auth, next);
      if (judged === false) exp = false;
      else ({ exp, next } = judged);
    }
  }
  if (exp === false) return false;
  plan.expectations.push(exp);
  plan.states.push(next.state);
  plan.accepted.push(next.accepted);
  return true;
}

type Next = { readonly state: PresenceData; readonly accepted: number };

/** The answer a decoded message calls for, and the presence after it; false when over budget. */
function judge(
  plan: Plan,
  msg: ClientMessage,
  label: string,
  auth: ErrorCode | "accepted",
  now: Next,
): { exp: Expectation; next: Next } | false {
  const spend = (bucket: keyof typeof LIMITS) => {
    if (plan.used[bucket] >= LIMITS[bucket]) return false;
    plan.used[bucket]++;
    return true;
  };
  const none = (next = now) => ({ exp: { kind: "none", label } as const, next });
  const error = (codes: readonly string[]) => ({ exp: { kind: "error", codes, label } as const, next: now });
  const refusal = (check: () => Next) => {
    try {
      return none(check());
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      return error([err.code]);
    }
  };
  switch (msg.type) {
    case MessageType.UPDATE_PRESENCE:
      if (!spend("patches")) return false;
      return refusal(() => ({ state: applyValidatedPatch(now.state, msg), accepted: now.accepted + 1 }));
    case MessageType.SYNC_REQUEST:
      if (msg.syncId === 0) return error(["MALFORMED_MESSAGE"]);
      if (!spend("syncs")) return false;
      plan.syncIds.push(msg.syncId);
      return none();
    case MessageType.BROADCAST:
      if (!spend("patches")) return false;
      return refusal(() => {
        validateEvent(msg.event);
        return now;
      });
    case MessageType.SET_VIEW:
      if (!spend("views")) return false;
      return refusal(() => {
        if (msg.view !== null) validateView(msg.view);
        return now;
      });
    case MessageType.PING:
      if (!spend("control")) return false;
      return { exp: { kind: "pong", t: msg.t, label }, next: now };
    case MessageType.AUTH:
      if (!spend("control")) return false;
      if (auth !== "accepted") plan.refusedAuths.push({ at: plan.expectations.length, code: auth });
      return none();
    case MessageType.RTT_REPORT: {
      if (!spend("control")) return false;
      // Too soon after the join: RATE_LIMITED; too many samples or the wrong length: MALFORMED_MESSAGE.
      const codes = ["RATE_LIMITED", "MALFORMED_MESSAGE"];
      const maybe = msg.counts.length === RTT_BUCKETS_MS.length + 1;
      return { exp: { kind: maybe ? "maybe-error" : "error", codes, label }, next: now };
    }
  }
}

/**
 * The numbers of frames after which the server may have stopped handling this connection's
 * frames, given how it ended (undefined: open, so all of them), or an explanation of why
 * that end breaks the contract.
 */
export function truncations(
  plan: Plan,
  closed: { code: number } | undefined,
  fatal: Answer | undefined,
): { from: number; to: number } | string {
  const n = plan.expectations.length;
  if (closed === undefined)
    return fatal ? `fatal ${JSON.stringify(fatal)} without a close` : { from: n, to: n };
  const last = plan.oversizeAt ?? n;
  if (fatal?.kind === "error") {
    if (fatal.code === "ABUSIVE_CLIENT") return { from: 0, to: last };
    const auth = plan.refusedAuths.find((a) => a.code === fatal.code);
    if (auth !== undefined) return { from: auth.at + 1, to: last };
    return `fatal ${fatal.code} that no frame called for`;
  }
  if (closed.code === 1009 && plan.oversizeAt !== undefined)
    return { from: plan.oversizeAt, to: plan.oversizeAt };
  return `closed with ${closed.code} without a fatal ERROR first`;
}

/**
 * Lines the answers up with the expectations: every expected error answered by exactly one
 * ERROR with an allowed code, every PING by its PONG, nothing else, in order. Returns the
 * numbers of frames after which the alignment ends within `range`, empty when none does.
 */
export function align(
  expectations: readonly Expectation[],
  answers: readonly Answer[],
  range: { from: number; to: number },
): number[] {
  const m = answers.length;
  const seen = new Set<number>();
  const ends = new Set<number>();
  const stack: [number, number][] = [[0, 0]];
  const matches = (a: Answer | undefined, e: Expectation) =>
    a !== undefined &&
    ((a.kind === "error" && !a.fatal && "codes" in e && e.codes.includes(a.code)) ||
      (a.kind === "pong" && e.kind === "pong" && a.t === e.t));
  while (stack.length > 0) {
    const [i, j] = stack.pop()!;
    const key = i * (m + 1) + j;
    if (seen.has(key)) continue;
    seen.add(key);
    if (j === m && i >= range.from && i <= range.to) ends.add(i);
    const e = expectations[i];
    if (e === undefined || e.kind === "oversize") continue;
    if (e.kind === "none" || e.kind === "maybe-error") stack.push([i + 1, j]);
    if (e.kind !== "none" && matches(answers[j], e)) stack.push([i + 1, j + 1]);
  }
  return [...ends];
}

/**
 * Whether a burst of UPDATE_PRESENCE frames that ran into the rate limit explains what a peer
 * sees. A frame that does not decode is refused first (MALFORMED_MESSAGE, no token spent);
 * then some choice of the patches the bucket refused (RATE_LIMITED) must be such that the
 * others, applied in order with the protocol's rules, give exactly the ERRORs received, in
 * order, and the peer's entry — `clock` accepted patches and that state — or no entry when
 * none was accepted (PROTOCOL.md §3, §5, §6). Bursts are short: trying both ways is cheap.
 */
export function explainBurst(
  frames: readonly Uint8Array[],
  errors: readonly string[],
  seen: { readonly state: PresenceData; readonly clock: number } | undefined,
): boolean {
  const refusal = (f: () => unknown): string | undefined => {
    try {
      f();
      return undefined;
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      return err.code;
    }
  };
  const patches = frames.map((bytes) => {
    let msg: ClientMessage | undefined;
    const code = refusal(() => {
      msg = decodeClientMessage(bytes, MAX_INBOUND_FRAME_BYTES);
    });
    return msg?.type === MessageType.UPDATE_PRESENCE ? msg : (code ?? "not an update");
  });
  const target = seen?.clock ?? 0;
  const go = (i: number, e: number, state: PresenceData, clock: number): boolean => {
    if (clock > target) return false;
    if (i === patches.length) {
      return e === errors.length && clock === target && (seen === undefined || jsonEqual(seen.state, state));
    }
    const patch = patches[i]!;
    if (typeof patch === "string") return errors[e] === patch && go(i + 1, e + 1, state, clock);
    if (errors[e] === "RATE_LIMITED" && go(i + 1, e + 1, state, clock)) return true;
    let merged: PresenceData = state;
    const code = refusal(() => {
      merged = applyValidatedPatch(state, patch);
    });
    if (code !== undefined) return errors[e] === code && go(i + 1, e + 1, state, clock);
    return go(i + 1, e, merged, clock + 1);
  };
  return go(0, 0, {}, 0);
}
