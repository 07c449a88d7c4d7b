// One room's connection as an explicit state machine (CONTRIBUTING.md#habits (5)):
//
//   initial → authenticating → opening → joining → connected
//                 ↑                                   │ socket lost / fatal error
//                 └──────────── backoff ←─────────────┘
//   any → disconnected (leave, or a fatal error whose policy is "never")
//
// authenticating: getting a token (skipped while the last one is still valid).
// opening: socket created, waiting for the server's WELCOME.
// joining: welcomed, waiting for the join snapshot's SNAPSHOT_DONE (syncId 0).
// The retry policy after a close comes from the ERRORS table (PROTOCOL.md §7) for the
// ERROR the server sent before closing, or from the close code when it sent none.
import {
  assertNever,
  type BatchMessage,
  backoffDelay,
  type ClientMessage,
  createEntryAliasTable,
  decodeServerMessage,
  retryDelay as delayForHint,
  ERRORS,
  type ErrorCode,
  encode,
  KEEPALIVE_PING,
  KEEPALIVE_PONG,
  MessageType,
  type OccupancyMessage,
  PROTOCOL_REVISION,
  ProtocolError,
  RECONNECT_BACKOFF,
  type RelayedMessage,
  type RetryPolicy,
  type SnapshotChunkMessage,
  type SnapshotDoneMessage,
  subprotocolsFor,
  type WelcomeMessage,
} from "@collabblocks/protocol";
import { CRASH_WINDOW_MS, NOW_SPREAD_MS, RESTART_PROBE, RESTART_WINDOW_MS } from "./backoff.js";
import {
  abandonSocket,
  type CloseEventLike,
  frameBytes,
  type MessageEventLike,
  OPEN,
  type WebSocketConstructor,
  type WebSocketLike,
} from "./socket.js";
import { createTimerSlot, type Timers } from "./timers.js";
import { AuthError, type TokenSource, tokenExpiry } from "./token-source.js";
import type { PresenceError, Status } from "./types.js";

/** Socket creation → join snapshot complete, ms; slower attempts are abandoned and retried. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** Ping interval when the welcome gives none, ms (docs/ARCHITECTURE.md#goals: pings every 2 s). */
export const DEFAULT_HEARTBEAT_MS = 2000;
/** Heartbeats without any inbound frame before the socket is declared dead (two missed pongs). */
export const HEARTBEAT_MISSES = 2;
/** A connection up this long resets the backoff, ms: a flapping server is not retried at 250 ms forever. */
export const STABLE_CONNECTION_MS = 5000;
/** Renew the token this long before it expires, ms… */
export const RENEW_BEFORE_MS = 60_000;
/** …or, with less than 5 min left, at 80 % of the remaining lifetime (short-lived tokens). */
export const RENEW_AT_FRACTION = 0.8;
/** Never renew more often than this, ms (an endpoint handing out nearly expired tokens). */
export const MIN_RENEW_INTERVAL_MS = 1000;
/** A failed renewal is retried after this long while the token is still valid, ms. */
export const RENEW_RETRY_MS = 5000;
/** A cached token is reused for a reconnect only if it stays valid this much longer, ms. */
export const TOKEN_REUSE_MARGIN_MS = 30_000;
/** Close code the SDK uses when it abandons a socket it thinks is dead (private range). */
export const CLOSE_DEAD_SOCKET = 4000;
/** Close code of a deliberate leave: the server emits a `left` leave. */
export const CLOSE_LEFT = 1000;

export type ConnectionState =
  | { readonly kind: "initial" }
  | { readonly kind: "authenticating" }
  | { readonly kind: "opening"; readonly socket: WebSocketLike }
  | { readonly kind: "joining"; readonly socket: WebSocketLike; readonly welcome: WelcomeMessage }
  | { readonly kind: "connected"; readonly socket: WebSocketLike; readonly welcome: WelcomeMessage }
  | { readonly kind: "backoff"; readonly delayMs: number; readonly policy: ClosePolicy }
  | { readonly kind: "disconnected" };

/** A close without a (recognised) ERROR gets plain backoff. */
export type ClosePolicy = Exclude<RetryPolicy, "none"> | "backoff";

export interface ConnectionHandlers {
  status(status: Status): void;
  welcome(welcome: WelcomeMessage): void;
  message(message: BatchMessage | SnapshotChunkMessage | SnapshotDoneMessage | OccupancyMessage): void;
  /** Another connection's broadcast, or a peer that dropped (PROTOCOL.md §9). */
  event(message: RelayedMessage): void;
  error(error: PresenceError): void;
  /** A server frame that could not be decoded (it is skipped). */
  undecodable(error: ProtocolError): void;
  /** A welcomed connection was lost; a reconnect follows unless the policy gives up. */
  lost(): void;
  /** The connection gave up for good (policy "never", or a refused token that cannot be renewed). */
  gaveUp(): void;
}

export interface ConnectionOptions {
  readonly baseUrl: string;
  readonly roomId: string;
  /**
   * The secret the server derives this session's connectionId from (PROTOCOL.md §1):
   * kept across reconnects so the same id comes back; replaced when the server
   * says the id is taken (CONNECTION_ID_TAKEN).
   */
  readonly identityKey: string;
  /** A fresh identity key (the SDK's random 128 bits). */
  readonly newIdentityKey: () => string;
  readonly tokens: TokenSource;
  readonly WebSocket: WebSocketConstructor;
  readonly timers: Timers;
  readonly random: () => number;
  readonly handlers: ConnectionHandlers;
  /** The `view` query parameter for the next connect (PROTOCOL.md §8), if a view is declared. */
  readonly viewParam?: () => string | undefined;
}

export interface Connection {
  readonly state: ConnectionState;
  readonly status: Status;
  connect(): void;
  /** Writes a message if a welcomed socket is open; false otherwise. */
  send(message: ClientMessage): boolean;
  /**
   * Something suggests the server is reachable again (the browser is back online,
   * the page became visible or got focus): a connection waiting out a backoff
   * tries now instead.
   */
  wake(): void;
  /** Deliberate leave: closes with 1000 and stops every timer. */
  close(): void;
}

/** The policy for a close that came without an ERROR message (or with an unknown one). */
export function policyForCloseCode(code: number): ClosePolicy {
  switch (code) {
    case 1012:
      return "now";
    case 4001:
      return "new-token-backoff";
    case 4000:
    case 4003: // ROOM_MISMATCH shares 4003 with FORBIDDEN/PLAN_NOT_ENABLED: without the ERROR, give up
    case 4009:
      return "never";
    case 4005:
    case 4008:
    case 4010:
    case 4029:
    case 1013:
      return "slow-backoff";
    default:
      return "backoff";
  }
}

export function createConnection(options: ConnectionOptions): Connection {
  const { timers, random, handlers, tokens } = options;
  const attemptSlot = createTimerSlot(timers);
  const connectSlot = createTimerSlot(timers);
  const heartbeatSlot = createTimerSlot(timers);
  const keepaliveSlot = createTimerSlot(timers);
  const renewSlot = createTimerSlot(timers);

  let state: ConnectionState = { kind: "initial" };
  let everConnected = false;
  let failures = 0; // consecutive attempts without a stable connection
  let slowFailures = 0;
  let quickRetryUsed = false; // "now"-style retries are used once, then backoff applies
  let restartProbeUntil = Number.NEGATIVE_INFINITY; // local clock, ms: see RESTART_PROBE
  let crashFirstRetry = false; // the first retry after a crash drop takes the table's first step
  let generation = 0; // invalidates async continuations of abandoned attempts
  let token: string | undefined;
  let tokenValidUntil = Number.NEGATIVE_INFINITY; // local clock, ms
  let needFreshToken = false;
  let fatalCode: ErrorCode | undefined;
  /** The current socket's entry aliases (PROTOCOL.md §4 "Revision 3"): replaced with each socket. */
  let aliases = createEntryAliasTable();
  let identityKey = options.identityKey;
  let lastEpoch = 0;
  let serverOffset = 0; // server clock − local clock, ms
  let lastReceivedAt = 0;
  let connectedAt = 0;
  let heartbeatMs = DEFAULT_HEARTBEAT_MS;

  const statusOf = (s: ConnectionState): Status => {
    switch (s.kind) {
      case "initial":
        return "initial";
      case "connected":
        return "connected";
      case "disconnected":
        return "disconnected";
      case "authenticating":
      case "opening":
      case "joining":
      case "backoff":
        return everConnected ? "reconnecting" : "connecting";
      default:
        return assertNever(s);
    }
  };

  function setState(next: ConnectionState): void {
    const before = statusOf(state);
    state = next;
    const after = statusOf(state);
    if (after !== before) handlers.status(after);
  }

  const socketOf = (s: ConnectionState): WebSocketLike | undefined =>
    s.kind === "opening" || s.kind === "joining" || s.kind === "connected" ? s.socket : undefined;

  /** Local-clock expiry of a token, from its `exp` claim and the server clock offset. */
  function validUntil(t: string): number {
    const exp = tokenExpiry(t);
    return exp === undefined ? Number.NEGATIVE_INFINITY : exp * 1000 - serverOffset;
  }

  function attempt(): void {
    const gen = ++generation;
    const reuse =
      token !== undefined && !needFreshToken && timers.now() < tokenValidUntil - TOKEN_REUSE_MARGIN_MS;
    if (reuse && token !== undefined) {
      open(token);
      return;
    }
    setState({ kind: "authenticating" });
    tokens.get(options.roomId).then(
      (t) => {
        if (gen !== generation) return;
        token = t;
        tokenValidUntil = validUntil(t);
        needFreshToken = false;
        open(t);
      },
      (err: unknown) => {
        if (gen !== generation) return;
        const retryable = !(err instanceof AuthError) || err.retryable;
        const message = err instanceof Error ? err.message : String(err);
        handlers.error({ code: "AUTH_FAILED", message, fatal: !retryable });
        if (retryable) retryAfter(backoffDelay(RECONNECT_BACKOFF, failures++, random), "backoff");
        else giveUp();
      },
    );
  }

  function url(): string {
    const room = encodeURIComponent(options.roomId);
    const view = options.viewParam?.();
    const declared = view === undefined ? "" : `&view=${view}`;
    // The token travels as a subprotocol (open), not in the URL that proxies log.
    // rev=4: this SDK reads EVENT (PROTOCOL.md §1, §9), entry aliases with compact moves and ratio moves (§4).
    return `${options.baseUrl}/v1/rooms/${room}?key=${identityKey}&epoch=${lastEpoch}${declared}&rev=${PROTOCOL_REVISION}`;
  }

  function open(t: string): void {
    let socket: WebSocketLike;
    try {
      socket = new options.WebSocket(url(), subprotocolsFor(t));
    } catch {
      // Only a URL the implementation refuses throws here, and createClient checked it: treat as a failed attempt.
      retryAfter(backoffDelay(RECONNECT_BACKOFF, failures++, random), "backoff");
      return;
    }
    socket.binaryType = "arraybuffer";
    fatalCode = undefined;
    aliases = createEntryAliasTable(); // aliases are per socket: a new one is told them afresh
    setState({ kind: "opening", socket });
    connectSlot.start(CONNECT_TIMEOUT_MS, () => abandon(socket));
    socket.onmessage = (event: MessageEventLike) => onFrame(socket, event.data);
    socket.onclose = (event: CloseEventLike) => {
      if (socketOf(state) === socket) lost(event.code);
    };
    socket.onerror = () => {}; // a close event follows
  }

  function onFrame(socket: WebSocketLike, data: unknown): void {
    if (socketOf(state) !== socket) return;
    lastReceivedAt = timers.now();
    if (data === KEEPALIVE_PONG) return; // a keepalive's answer: it only proves the socket is alive
    const bytes = frameBytes(data);
    if (bytes === null) {
      handlers.undecodable(new ProtocolError("MALFORMED_MESSAGE", "text frame from server"));
      return;
    }
    let msg: ReturnType<typeof decodeServerMessage>;
    try {
      msg = decodeServerMessage(bytes, undefined, aliases);
    } catch (err) {
      if (err instanceof ProtocolError) handlers.undecodable(err);
      else throw err;
      return;
    }
    switch (msg.type) {
      case MessageType.WELCOME:
        if (state.kind === "opening") welcomed(socket, msg);
        return;
      case MessageType.ERROR:
        if (msg.fatal) fatalCode = msg.code;
        handlers.error({ code: msg.code, message: msg.message, fatal: msg.fatal });
        return;
      case MessageType.PONG:
        serverOffset = msg.serverTime - (msg.t + timers.now()) / 2;
        return;
      case MessageType.BATCH:
      case MessageType.SNAPSHOT_CHUNK:
      case MessageType.OCCUPANCY:
        if (state.kind === "joining" || state.kind === "connected") handlers.message(msg);
        return;
      case MessageType.EVENT:
      case MessageType.PEER_LOST:
        if (state.kind === "connected") handlers.event(msg);
        return;
      case MessageType.SNAPSHOT_DONE:
        if (state.kind !== "joining" && state.kind !== "connected") return;
        handlers.message(msg);
        if (state.kind === "joining" && state.socket === socket && msg.syncId === 0) joined(state);
        return;
      default:
        assertNever(msg);
    }
  }

  function welcomed(socket: WebSocketLike, welcome: WelcomeMessage): void {
    const now = timers.now();
    lastEpoch = welcome.epoch;
    serverOffset = welcome.serverTime - now;
    if (welcome.tokenExp > 0) tokenValidUntil = welcome.tokenExp * 1000 - serverOffset;
    setState({ kind: "joining", socket, welcome });
    heartbeatMs = welcome.limits.heartbeatMs > 0 ? welcome.limits.heartbeatMs : DEFAULT_HEARTBEAT_MS;
    heartbeatSlot.start(heartbeatMs, () => heartbeat(socket));
    const keepaliveMs = welcome.limits.keepaliveMs ?? 0;
    if (keepaliveMs > 0) keepaliveSlot.start(keepaliveMs, () => keepalive(socket, keepaliveMs));
    scheduleRenewal();
    handlers.welcome(welcome);
  }

  function joined(s: Extract<ConnectionState, { kind: "joining" }>): void {
    connectSlot.clear();
    connectedAt = timers.now();
    everConnected = true;
    setState({ kind: "connected", socket: s.socket, welcome: s.welcome });
  }

  function heartbeat(socket: WebSocketLike): void {
    if (socketOf(state) !== socket) return;
    if (timers.now() - lastReceivedAt >= HEARTBEAT_MISSES * heartbeatMs) {
      abandon(socket);
      return;
    }
    send({ type: MessageType.PING, t: timers.now() });
    heartbeatSlot.start(heartbeatMs, () => heartbeat(socket));
  }

  /**
   * The text keepalive a server offered (PROTOCOL.md §4 "Keepalive"): the Durable
   * Object edge's runtime answers it without waking the room, so each side learns
   * within seconds that the socket is alive while PINGs stay 30 s apart.
   */
  function keepalive(socket: WebSocketLike, ms: number): void {
    if (socketOf(state) !== socket || socket.readyState !== OPEN) return;
    // Answered within the interval by a live server: nothing for HEARTBEAT_MISSES + 1 of them is a dead socket.
    if (timers.now() - lastReceivedAt >= (HEARTBEAT_MISSES + 1) * ms) {
      abandon(socket);
      return;
    }
    try {
      socket.send(KEEPALIVE_PING);
    } catch {
      return; // closing: the close event follows
    }
    keepaliveSlot.start(ms, () => keepalive(socket, ms));
  }

  function scheduleRenewal(): void {
    if (!tokens.renewable || !Number.isFinite(tokenValidUntil)) return;
    const remaining = tokenValidUntil - timers.now();
    if (remaining <= 0) return; // expired: the server closes with TOKEN_EXPIRED and we reconnect
    const delay = Math.max(remaining - RENEW_BEFORE_MS, remaining * RENEW_AT_FRACTION, MIN_RENEW_INTERVAL_MS);
    renewSlot.start(delay, renew);
  }

  function renew(): void {
    const gen = generation;
    tokens.get(options.roomId).then(
      (t) => {
        if (gen !== generation) return;
        token = t;
        tokenValidUntil = validUntil(t);
        if (send({ type: MessageType.AUTH, token: t })) scheduleRenewal();
      },
      (err: unknown) => {
        if (gen !== generation) return;
        const message = err instanceof Error ? err.message : String(err);
        handlers.error({ code: "AUTH_FAILED", message: `token renewal failed: ${message}`, fatal: false });
        if (tokenValidUntil - timers.now() > RENEW_RETRY_MS) renewSlot.start(RENEW_RETRY_MS, renew);
      },
    );
  }

  function stopTimers(): void {
    attemptSlot.clear();
    connectSlot.clear();
    heartbeatSlot.clear();
    keepaliveSlot.clear();
    renewSlot.clear();
  }

  /** The SDK decided the socket is dead (connect timeout, missed heartbeats). */
  function abandon(socket: WebSocketLike): void {
    if (socketOf(state) !== socket) return;
    abandonSocket(socket, CLOSE_DEAD_SOCKET, "dead socket");
    lost(1006);
  }

  function lost(closeCode: number): void {
    const wasWelcomed = state.kind === "joining" || state.kind === "connected";
    const wasStable = state.kind === "connected" && timers.now() - connectedAt >= STABLE_CONNECTION_MS;
    const socket = socketOf(state);
    if (socket !== undefined) abandonSocket(socket, CLOSE_DEAD_SOCKET, "closed");
    stopTimers();
    const policy: ClosePolicy =
      fatalCode !== undefined ? retryPolicy(ERRORS[fatalCode].retry) : policyForCloseCode(closeCode);
    fatalCode = undefined;
    if (wasStable) {
      failures = 0;
      slowFailures = 0;
      quickRetryUsed = false;
    }
    if (wasWelcomed) handlers.lost();
    if (state.kind !== "opening" && state.kind !== "joining" && state.kind !== "connected") return; // left
    if (wasWelcomed && closeCode === 1006) {
      restartProbeUntil = timers.now() + CRASH_WINDOW_MS;
      crashFirstRetry = true; // a network blip is back sooner: the table's first step, then probes
    }
    applyPolicy(policy);
  }

  function applyPolicy(policy: ClosePolicy): void {
    const delay = delayFor(policy);
    if (delay === undefined) giveUp();
    else retryAfter(delay, policy);
  }

  /** The wait before the next attempt under `policy`; undefined = give up. */
  function delayFor(policy: ClosePolicy): number | undefined {
    switch (policy) {
      case "backoff":
        if (crashFirstRetry) {
          crashFirstRetry = false;
          return backoffDelay(RECONNECT_BACKOFF, failures++, random);
        }
        if (timers.now() < restartProbeUntil) return backoffDelay(RESTART_PROBE, 0, random);
        return backoffDelay(RECONNECT_BACKOFF, failures++, random);
      case "new-token-backoff":
        if (!tokens.renewable) return undefined; // a static token cannot be replaced
        needFreshToken = true;
        return backoffDelay(RECONNECT_BACKOFF, failures++, random);
      case "new-token-now":
        if (!tokens.renewable) return undefined;
        needFreshToken = true;
        return quickDelay();
      case "now":
        if (!quickRetryUsed) restartProbeUntil = timers.now() + RESTART_WINDOW_MS;
        if (quickRetryUsed && timers.now() < restartProbeUntil) return backoffDelay(RESTART_PROBE, 0, random);
        return quickDelay();
      case "slow-backoff":
        return delayForHint("slow-backoff", slowFailures++, random) as number;
      case "new-identity":
        identityKey = options.newIdentityKey();
        lastEpoch = 0;
        return quickDelay();
      case "never":
        return undefined;
      default:
        return assertNever(policy);
    }
  }

  /** "At once" retries are spread over NOW_SPREAD_MS, and used once per stable connection. */
  function quickDelay(): number {
    if (quickRetryUsed) return backoffDelay(RECONNECT_BACKOFF, failures++, random);
    quickRetryUsed = true;
    return random() * NOW_SPREAD_MS;
  }

  function retryAfter(delayMs: number, policy: ClosePolicy): void {
    generation++;
    setState({ kind: "backoff", delayMs, policy });
    attemptSlot.start(delayMs, attempt);
  }

  function giveUp(): void {
    generation++;
    stopTimers();
    setState({ kind: "disconnected" });
    handlers.gaveUp();
  }

  function send(message: ClientMessage): boolean {
    const socket = state.kind === "joining" || state.kind === "connected" ? state.socket : undefined;
    if (socket === undefined || socket.readyState !== OPEN) return false;
    try {
      socket.send(encode(message));
      return true;
    } catch {
      return false; // closing: the close event follows
    }
  }

  return {
    get state() {
      return state;
    },
    get status() {
      return statusOf(state);
    },
    connect() {
      if (state.kind === "initial") attempt();
    },
    send,
    wake() {
      // Only plain drops: a slow backoff is the server asking for room (ROOM_FULL, ABUSIVE_CLIENT).
      if (state.kind !== "backoff" || (state.policy !== "backoff" && state.policy !== "now")) return;
      attemptSlot.clear();
      attempt();
    },
    close() {
      if (state.kind === "disconnected") return;
      const socket = socketOf(state);
      generation++;
      stopTimers();
      if (socket !== undefined) abandonSocket(socket, CLOSE_LEFT, "left");
      setState({ kind: "disconnected" });
    },
  };
}

function retryPolicy(policy: RetryPolicy): ClosePolicy {
  return policy === "none" ? "backoff" : policy;
}
