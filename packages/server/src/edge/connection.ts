// One authenticated socket in a room: what it may send and what happens to it.
// Inbound messages are decoded, rate-limited, validated (the merged state too,
// before anything is committed) and sequenced; a bad message gets a typed,
// non-fatal ERROR and changes nothing. Fatal refusals send ERROR then close with
// the code's close code (PROTOCOL.md §7).
import {
  applyValidatedPatch,
  assertNever,
  type ClientMessage,
  decodeClientMessage,
  ERRORS,
  type ErrorCode,
  type EventMessage,
  encode,
  type Json,
  type LeaveEntry,
  MAX_INBOUND_FRAME_BYTES,
  MessageType,
  type Patch,
  type PeerLostMessage,
  type PresenceData,
  ProtocolError,
  RATE_BURST,
  RATE_PER_SECOND,
  VIEW_RATE_BURST,
  VIEW_RATE_PER_SECOND,
  validateEvent,
  validateView,
} from "@collabblocks/protocol";
import type { WebSocket } from "ws";
import type { EntryQueue } from "../limits/coalesce.js";
import { type RttBudget, takeRttReport } from "../limits/rtt-budget.js";
import { SNAPSHOT_BYTES } from "../limits/snapshot-budget.js";
import {
  createTokenBucket,
  type TokenBucket,
  type TokenBucketSpec,
  takeToken,
} from "../limits/token-bucket.js";
import type { Clock, TimerHandle } from "../ops/clock.js";
import type { EdgeRoom, RoomMember } from "./edge-room.js";

/**
 * Patches: exactly the contract's bucket (PROTOCOL.md §6: 20/s, burst 5), the one the
 * welcome advertises. An allowance of extra tokens for arrival jitter was tried
 * and rejected: it made the enforced burst differ from the contract. Server
 * pauses are covered instead by the stall allowance in handleUpdate (a client is
 * never blamed for the server's own event-loop stall); a network hiccup longer
 * than 250 ms that bunches a continuous 20 Hz stream can cost one patch, which
 * the SDK repairs by re-sending its whole state once.
 */
export const PATCH_BUCKET: TokenBucketSpec = { ratePerSecond: RATE_PER_SECOND, burst: RATE_BURST };
/**
 * The same rate averaged over seconds: a patch PATCH_BUCKET refuses while this one
 * still has tokens is refused but not struck. A client at exactly 20 Hz whose
 * patches bunch up on the way (its own stall, a congested network, a saturated
 * edge reading them late) exceeds the burst of 5 now and then, and must not be
 * closed as abusive for it (the S3 slice at 2 500 closed all 13 of its senders,
 * docs/BENCHMARKS.md); a flood empties this within a second and is struck from then on.
 */
export const PATCH_AVERAGE_BUCKET: TokenBucketSpec = {
  ratePerSecond: RATE_PER_SECOND,
  burst: 2 * RATE_PER_SECOND,
};
/**
 * A connection the room holds no state for (a fresh join, or a client returning
 * after a single-process server restarted) is announced to peers with its first
 * patch — which the SDK sends right after the join snapshot — so peers see one
 * `enter` with the real state instead of an empty enter and then the state (a
 * blank flash of every returning client after a restart). One that sends
 * nothing is announced, empty, after this long, ms.
 */
export const ENTER_DEFER_MS = 1000;

/** Publishes a deferred enter now, with the connection's current version and state. */
export function announce(conn: Connection, clock: Pick<Clock, "clearTimeout">): void {
  if (conn.enterTimer === undefined) return;
  clock.clearTimeout(conn.enterTimer);
  conn.enterTimer = undefined;
  conn.room.publish({
    kind: "enter",
    connectionId: conn.connectionId,
    userId: conn.userId,
    info: conn.info,
    epoch: conn.epoch,
    clock: conn.clock,
    state: conn.state,
  });
}

/** The EVENT a connection's accepted BROADCAST becomes (PROTOCOL.md §9). */
export function eventOf(conn: Connection, event: Json): EventMessage {
  return { type: MessageType.EVENT, connectionId: conn.connectionId, userId: conn.userId, event };
}

/** The PEER_LOST of a connection that dropped without a goodbye (PROTOCOL.md §9). */
export function peerLostOf(conn: Connection): PeerLostMessage {
  return { type: MessageType.PEER_LOST, connectionId: conn.connectionId, epoch: conn.epoch };
}

/**
 * How a client's close ends its connection, on both edges: only a normal close (1000)
 * or a page going away (1001) is the client leaving. Anything else — 1005/1006 (no
 * close frame), or the SDK's 4000 when it abandons a socket it believes dead and
 * reconnects — is a drop: the entry stays for the grace period so the reconnect
 * takes it over without a leave/enter flicker.
 */
export function endModeOfClose(code: number): "left" | "ghost" {
  return code === 1000 || code === 1001 ? "left" : "ghost";
}

/** The leave entry of a connection at its current version. */
export function leaveEntry(conn: Connection, reason: "left" | "expired"): LeaveEntry {
  return { kind: "leave", connectionId: conn.connectionId, epoch: conn.epoch, clock: conn.clock, reason };
}

/** Other messages (ping, auth, RTT reports): generous, only stops floods. */
export const CONTROL_BUCKET: TokenBucketSpec = { ratePerSecond: 10, burst: 20 };
/** Snapshots are expensive for big rooms: SYNC_REQUEST gets its own small budget. */
export const SYNC_BUCKET: TokenBucketSpec = { ratePerSecond: 1, burst: 3 };
/** View changes (PROTOCOL.md §8): each may re-select and re-send a window. */
export const VIEW_BUCKET: TokenBucketSpec = { ratePerSecond: VIEW_RATE_PER_SECOND, burst: VIEW_RATE_BURST };
/** Refused messages within ABUSE_WINDOW_MS that close the socket with ABUSIVE_CLIENT. */
export const ABUSE_MAX_STRIKES = 50;
export const ABUSE_WINDOW_MS = 10_000;

/**
 * How a connection ended, which decides what peers see:
 *  - left:     the client closed cleanly → leave "left" at once (tombstone);
 *  - expired:  ping timeout or kicked for abuse → leave "expired" at once;
 *  - ghost:    dropped without a close frame, or closed by us for an expired or
 *              refused token → no leave now; the entry stays for a grace period
 *              (a reconnect with the same connectionId takes it over without
 *              flicker) and then expires;
 *  - replaced: the same connectionId connected again → nothing (the new enter replaces it);
 *  - shutdown: the server is stopping → nothing (the client reconnects elsewhere or expires).
 */
export type EndMode = "left" | "expired" | "ghost" | "replaced" | "shutdown";

export interface ConnectionHooks {
  /** Monotonic clock, ms. */
  readonly now: () => number;
  /** The edge's clock (timers of deferred enters). */
  readonly clock: Clock;
  /** The process's recent event-loop stall, ms: its patches were handled late, not sent early. */
  readonly stallMs: () => number;
  /** Writes a reply frame unless the socket is behind (socket-writes.ts). */
  readonly reply: (conn: Connection, frame: Uint8Array) => void;
  /** Sends a non-fatal ERROR as a reply. */
  readonly sendError: (conn: Connection, code: ErrorCode, message: string) => void;
  /** Closes the socket with a fatal error and ends the connection the given way. */
  readonly fail: (conn: Connection, code: ErrorCode, message: string, mode: EndMode) => void;
  readonly renew: (conn: Connection, token: string) => void;
  readonly observeRtt: (counts: readonly number[]) => boolean;
  /** A patch was accepted and committed (`conn.state` includes it). */
  readonly onAccepted: (conn: Connection, patch: Patch) => void;
  readonly onRateLimited: () => void;
  /** Relays an accepted BROADCAST (PROTOCOL.md §9) to the room's other connections, here and elsewhere. */
  readonly broadcast: (conn: Connection, event: Json) => void;
}

export interface Connection extends RoomMember {
  readonly ws: WebSocket;
  readonly room: EdgeRoom<Connection>;
  readonly ip: string;
  readonly userId: string;
  readonly info: Json | undefined;
  readonly epoch: number;
  /** Protocol revision the client reads (PROTOCOL.md §1 `rev`): EVENT only from 2 (§9). */
  readonly rev: number;
  clock: number;
  state: PresenceData;
  plan: string;
  /** The token's `org` claim (rollout gates re-check it). */
  org: string | undefined;
  /** Token expiry, seconds since the Unix epoch. */
  tokenExp: number;
  expiryTimer: TimerHandle | undefined;
  readonly patches: TokenBucket;
  /** Every patch attempt, against PATCH_AVERAGE_BUCKET: refusals within it are not struck. */
  readonly patchAverage: TokenBucket;
  readonly control: TokenBucket;
  readonly syncs: TokenBucket;
  readonly views: TokenBucket;
  strikes: number;
  strikeWindowStart: number;
  /** What this connection may still feed into `presence_rtt_ms` (limits/rtt-budget.ts). */
  readonly rtt: RttBudget;
  /** Pings sent since the last pong (only pongs count: liveness means the client reads). */
  missedPongs: number;
  /** Which tick of the heartbeat interval pings this connection (edge.ts spreads pings). */
  heartbeatSlice: number;
  /** Set once the connection has ended. */
  ended: EndMode | undefined;
  /** Set while the connection's enter is deferred (see ENTER_DEFER_MS). */
  enterTimer: TimerHandle | undefined;
}

export interface ConnectionInit {
  readonly ws: WebSocket;
  readonly room: EdgeRoom<Connection>;
  readonly ip: string;
  readonly connectionId: string;
  readonly userId: string;
  readonly info: Json | undefined;
  readonly plan: string;
  readonly org?: string | undefined;
  readonly tokenExp: number;
  readonly epoch: number;
  readonly state: PresenceData;
  readonly now: number;
  /** Protocol revision the client reads (PROTOCOL.md §1 `rev`); 1 when not given. */
  readonly rev?: number;
}

export function createConnection(init: ConnectionInit): Connection {
  return {
    ws: init.ws,
    room: init.room,
    ip: init.ip,
    connectionId: init.connectionId,
    userId: init.userId,
    info: init.info,
    plan: init.plan,
    org: init.org,
    tokenExp: init.tokenExp,
    epoch: init.epoch,
    rev: init.rev ?? 1,
    clock: 0,
    state: init.state,
    expiryTimer: undefined,
    patches: createTokenBucket(PATCH_BUCKET, init.now),
    patchAverage: createTokenBucket(PATCH_AVERAGE_BUCKET, init.now),
    control: createTokenBucket(CONTROL_BUCKET, init.now),
    syncs: createTokenBucket(SYNC_BUCKET, init.now),
    views: createTokenBucket(VIEW_BUCKET, init.now),
    strikes: 0,
    strikeWindowStart: init.now,
    rtt: { lastAt: init.now },
    missedPongs: 0,
    pingOwed: false,
    heartbeatSlice: 0,
    ended: undefined,
    enterTimer: undefined,
    lag: undefined as EntryQueue | undefined,
    lagSince: 0,
    snapshotDue: undefined,
    snapshotBytes: createTokenBucket(SNAPSHOT_BYTES, init.now),
  };
}

/** Counts a refused message; sustained abuse ends the connection. Returns true if it did. */
function strike(conn: Connection, hooks: ConnectionHooks): boolean {
  const t = hooks.now();
  if (t - conn.strikeWindowStart > ABUSE_WINDOW_MS) {
    conn.strikeWindowStart = t;
    conn.strikes = 0;
  }
  conn.strikes++;
  if (conn.strikes <= ABUSE_MAX_STRIKES) return false;
  hooks.fail(conn, "ABUSIVE_CLIENT", "too many refused messages", "expired");
  return true;
}

function refuse(conn: Connection, hooks: ConnectionHooks, code: ErrorCode, message: string): void {
  if (!strike(conn, hooks)) hooks.sendError(conn, code, message);
}

function handleUpdate(conn: Connection, hooks: ConnectionHooks, msg: ClientMessage & { type: 100 }): void {
  const stall = hooks.stallMs();
  const spec =
    stall > 0
      ? {
          ratePerSecond: RATE_PER_SECOND,
          burst: PATCH_BUCKET.burst + Math.ceil((stall * RATE_PER_SECOND) / 1000),
        }
      : PATCH_BUCKET;
  const now = hooks.now();
  const withinAverage = takeToken(conn.patchAverage, PATCH_AVERAGE_BUCKET, now);
  if (!takeToken(conn.patches, spec, now)) {
    hooks.onRateLimited();
    const message = `more than ${RATE_PER_SECOND} patches/s (burst ${RATE_BURST})`;
    if (withinAverage)
      hooks.sendError(conn, "RATE_LIMITED", message); // bunched, not a flood: no strike
    else refuse(conn, hooks, "RATE_LIMITED", message);
    return;
  }
  let merged: PresenceData;
  try {
    merged = applyValidatedPatch(conn.state, msg);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    refuse(conn, hooks, err.code, err.message);
    return;
  }
  conn.clock++;
  conn.state = merged;
  hooks.onAccepted(conn, msg);
  if (conn.enterTimer !== undefined) {
    announce(conn, hooks.clock); // the first patch of a deferred connection goes out as its enter
    return;
  }
  conn.room.publish({
    kind: "update",
    connectionId: conn.connectionId,
    epoch: conn.epoch,
    base: conn.clock - 1,
    clock: conn.clock,
    set: msg.set,
    del: msg.del,
  });
}

/** A BROADCAST (PROTOCOL.md §9): one token of the patch bucket, the event rule, then relayed. */
function handleBroadcast(conn: Connection, hooks: ConnectionHooks, event: Json): void {
  if (!takeToken(conn.patches, PATCH_BUCKET, hooks.now())) {
    hooks.onRateLimited();
    refuse(
      conn,
      hooks,
      "RATE_LIMITED",
      `more than ${RATE_PER_SECOND} patches and events/s (burst ${RATE_BURST})`,
    );
    return;
  }
  try {
    validateEvent(event);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    refuse(conn, hooks, err.code, err.message);
    return;
  }
  hooks.broadcast(conn, event);
}

/** Handles one inbound frame of a joined connection. */
export function handleMessage(
  conn: Connection,
  hooks: ConnectionHooks,
  data: Buffer,
  isBinary: boolean,
): void {
  if (conn.ended !== undefined) return;
  // Inbound traffic does not reset missedPongs: a client that sends but never
  // reads would otherwise live forever while its replies pile up (docs/SECURITY.md#memory).
  if (!isBinary) {
    refuse(conn, hooks, "MALFORMED_MESSAGE", "text frames are not accepted; send MsgPack binary frames");
    return;
  }
  let msg: ClientMessage;
  try {
    msg = decodeClientMessage(data, MAX_INBOUND_FRAME_BYTES);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    refuse(conn, hooks, err.code, err.message);
    return;
  }
  if (msg.type === MessageType.UPDATE_PRESENCE) {
    handleUpdate(conn, hooks, msg);
    return;
  }
  if (msg.type === MessageType.BROADCAST) {
    handleBroadcast(conn, hooks, msg.event);
    return;
  }
  if (msg.type === MessageType.SYNC_REQUEST) {
    if (msg.syncId === 0) refuse(conn, hooks, "MALFORMED_MESSAGE", "syncId 0 is reserved for the server");
    else if (!takeToken(conn.syncs, SYNC_BUCKET, hooks.now())) {
      refuse(conn, hooks, "RATE_LIMITED", "too many sync requests");
    } else conn.room.sendSnapshot(conn, msg.syncId);
    return;
  }
  if (msg.type === MessageType.SET_VIEW) {
    if (!takeToken(conn.views, VIEW_BUCKET, hooks.now())) {
      refuse(conn, hooks, "RATE_LIMITED", "too many view changes");
      return;
    }
    try {
      conn.room.setView(conn, msg.view === null ? undefined : validateView(msg.view));
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      refuse(conn, hooks, err.code, err.message);
    }
    return;
  }
  if (!takeToken(conn.control, CONTROL_BUCKET, hooks.now())) {
    refuse(conn, hooks, "RATE_LIMITED", "too many control messages");
    return;
  }
  switch (msg.type) {
    case MessageType.PING:
      hooks.reply(conn, encode({ type: MessageType.PONG, t: msg.t, serverTime: hooks.clock.now() }));
      return;
    case MessageType.AUTH:
      hooks.renew(conn, msg.token);
      return;
    case MessageType.RTT_REPORT: {
      const samples = msg.counts.reduce((a, b) => a + b, 0);
      const verdict = takeRttReport(conn.rtt, samples, hooks.now());
      if (verdict === "too-soon") refuse(conn, hooks, "RATE_LIMITED", "RTT reports at most once a second");
      else if (verdict === "too-many")
        refuse(conn, hooks, "MALFORMED_MESSAGE", "RTT report has more round trips than patches were allowed");
      else if (!hooks.observeRtt(msg.counts)) {
        refuse(conn, hooks, "MALFORMED_MESSAGE", "RTT report must have one count per bucket plus +Inf");
      }
      return;
    }
    default:
      assertNever(msg);
  }
}

/** Encodes an ERROR message for a code. */
export function errorFrame(code: ErrorCode, message: string): Uint8Array {
  return encode({ type: MessageType.ERROR, code, message, fatal: ERRORS[code].fatal });
}
