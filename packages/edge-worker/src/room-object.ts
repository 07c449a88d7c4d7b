// One room's edge as a Durable Object (docs/EDGE-WORKERS.md#topology): the
// room's client sockets and the pod's socket, all taken with the WebSocket
// Hibernation API, so a quiet room is evicted from memory and woken by the next
// message. Joins (join.ts) and messages go through the Node edge's own rules
// (@collabblocks/server/portable: handleMessage, admit, the token verifier); this
// file keeps the room's replica, batches fan-out and forwards to the pod.
import {
  type BatchEntry,
  chunkSnapshot,
  ERRORS,
  encode,
  type Json,
  KEEPALIVE_PING,
  KEEPALIVE_PONG,
  MAX_INBOUND_FRAME_BYTES,
  MessageType,
  type PeerState,
  PresenceReplica,
  type RelayedMessage,
} from "@collabblocks/protocol";
import {
  announce,
  type Connection,
  type ConnectionHooks,
  createConnection,
  createFlushScheduler,
  drainQueue,
  ENTER_DEFER_MS,
  type EndMode,
  type EntryQueue,
  endModeOfClose,
  enqueueEntry,
  errorFrame,
  eventOf,
  handleMessage,
  LINK_PATH_PREFIX,
  leaveEntry,
  peerLostOf,
  sameSecret,
} from "@collabblocks/server/portable";
import { attachmentOf, type ConnectionIdentity, restoreInto, type SocketAttachment } from "./attachment.js";
import {
  type Env,
  GHOST_GRACE_MS,
  KEEPALIVE_DEAD_MS,
  knownRetentionMsOf,
  MODELLED_WRITE_MS,
  POD_REDIAL_MS,
  SILENT_SOCKET_MS,
  sweepMsOf,
  TICK_MS,
} from "./config.js";
import { createHooks, WORKERS_CLOCK, WORKERS_FLUSH_TIMERS } from "./hooks.js";
import { join } from "./join.js";
import { rememberKnown, sweepKnown } from "./known-store.js";
import { record } from "./metrics.js";
import { POD_TAG, PodLink } from "./pod-link.js";
import {
  type DurableObjectState,
  newAutoResponsePair,
  newWebSocketPair,
  upgradeResponse,
  type WorkerSocket,
} from "./workers-types.js";

/** Tag of client sockets. */
const CLIENT_TAG = "client";
/** Storage key of the room's id (an object woken by a message does not know its name otherwise). */
const ROOM_ID_KEY = "roomId";

export class PresenceRoom {
  readonly state: DurableObjectState;
  readonly env: Env;
  readonly link: PodLink;
  readonly replica = new PresenceReplica();
  readonly hooks: ConnectionHooks;
  roomId: string | undefined;
  /** The replica holds the pod's snapshot (false again after eviction: memory is gone). */
  #loaded: Promise<void> | undefined;
  readonly #conns = new Map<WorkerSocket, Connection>();
  readonly #joinedAt = new Map<Connection, number>();
  readonly #pending: EntryQueue = new Map();
  #outbound: BatchEntry[] = [];
  /** Socket writes by flushes so far: the flush scheduler's modelled cost (MODELLED_WRITE_MS). */
  #writes = 0;
  readonly #flusher = createFlushScheduler({
    tickMs: TICK_MS,
    now: () => Date.now(),
    cpuNow: () => this.#writes * MODELLED_WRITE_MS,
    timers: WORKERS_FLUSH_TIMERS,
    flush: () => this.#flush(),
  });
  #redials = 0;
  /** The start of this life is recorded (metrics.ts), once the room's id is known. */
  #started = false;

  constructor(state: DurableObjectState, env: Env) {
    this.state = state;
    this.env = env;
    this.link = new PodLink(state, env, {
      onEntries: (entries) => this.#fromPod(entries),
      onEvent: (event) => this.relayEvent(event),
    });
    this.hooks = createHooks(this);
    // Text keepalives are answered by the runtime, without waking the object; the alarm
    // reads when each socket was last answered (PROTOCOL.md §4 "Keepalive").
    state.setWebSocketAutoResponse(newAutoResponsePair(KEEPALIVE_PING, KEEPALIVE_PONG));
    // One line per life of the object: how often rooms are evicted and woken shows
    // in the Worker's logs (docs/EDGE-WORKERS.md#hibernation).
    console.log(JSON.stringify({ msg: "room object started", sockets: state.getWebSockets().length }));
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname.startsWith(LINK_PATH_PREFIX)) return this.#podConnects(request);
    return join(this, request);
  }

  /** The room's id, remembered across evictions. */
  async remember(roomId: string): Promise<void> {
    if (this.roomId === roomId) return;
    this.roomId = roomId;
    await this.state.storage.put(ROOM_ID_KEY, roomId);
  }

  /** Loads the room from the pod once per life of the object (after a wake too). */
  loaded(): Promise<void> {
    this.#loaded ??= this.#load().catch((err: unknown) => {
      this.#loaded = undefined;
      throw err;
    });
    return this.#loaded;
  }

  async #load(): Promise<void> {
    this.roomId ??= await this.state.storage.get<string>(ROOM_ID_KEY);
    if (this.roomId === undefined) throw new Error("room id unknown");
    if (!this.#started) {
      this.#started = true;
      record(this.env.METRICS, this.roomId, {
        kind: "start",
        sockets: this.state.getWebSockets(CLIENT_TAG).length,
      });
    }
    const peers = await this.link.sync(this.roomId);
    this.#merge(peers);
  }

  /**
   * Takes the pod's snapshot; the object's own connections keep what it holds for
   * them (nothing after a wake: then the pod's copy, written before the room went
   * quiet, is theirs), and connections built before the merge get their state.
   */
  #merge(peers: readonly PeerState[]): void {
    const own = new Map<string, PeerState>();
    for (const ws of this.state.getWebSockets(CLIENT_TAG)) {
      const id = (ws.deserializeAttachment() as SocketAttachment | null)?.connectionId;
      const p = id === undefined ? undefined : this.replica.get(id);
      if (p) own.set(p.connectionId, p);
    }
    for (const p of [...this.replica.peers()]) this.replica.forget(p.connectionId);
    for (const p of peers) this.replica.put(own.get(p.connectionId) ?? p);
    for (const p of own.values()) if (!this.replica.get(p.connectionId)) this.replica.put(p);
    for (const conn of this.#conns.values())
      conn.state = this.replica.get(conn.connectionId)?.state ?? conn.state;
  }

  /**
   * EVENT or PEER_LOST (PROTOCOL.md §9) to this object's connections of revision 2 but the one
   * it is about; never stored. Workers expose no bufferedAmount, so nothing is skipped as behind.
   */
  relayEvent(event: RelayedMessage): void {
    let frame: Uint8Array | undefined;
    for (const conn of this.connections()) {
      if (conn.rev < 2 || conn.connectionId === event.connectionId || conn.ended !== undefined) continue;
      frame ??= encode(event);
      (conn.ws as unknown as WorkerSocket).send(frame);
    }
  }

  /** A connection's accepted BROADCAST: to this object's members, and through the pod to every other edge. */
  broadcast(conn: Connection, event: Json): void {
    const message = eventOf(conn, event);
    this.relayEvent(message);
    if (this.roomId !== undefined) this.link.send({ type: "event", roomId: this.roomId, event: message });
  }

  /** Every live client connection, rebuilt from attachments after a wake. */
  connections(): Connection[] {
    return this.state.getWebSockets(CLIENT_TAG).flatMap((ws) => this.connectionOf(ws) ?? []);
  }

  connectionOf(ws: WorkerSocket): Connection | undefined {
    const known = this.#conns.get(ws);
    if (known) return known;
    const a = ws.deserializeAttachment() as SocketAttachment | null;
    if (a?.v !== 1) return undefined;
    const conn = this.newConnection(ws, a, this.replica.get(a.connectionId)?.state ?? {});
    restoreInto(conn, a);
    if (!a.announced) this.deferEnter(conn, Math.max(0, a.joinedAt + ENTER_DEFER_MS - Date.now()));
    this.#joinedAt.set(conn, a.joinedAt);
    return conn;
  }

  newConnection(ws: WorkerSocket, a: ConnectionIdentity, state: PeerState["state"]): Connection {
    const conn = createConnection({
      // The Node edge's Connection types its socket as ws's; the object only ever
      // hands it to this file's hooks, which use the Workers socket's API.
      ws: ws as unknown as Connection["ws"],
      room: this.#roomAdapter(),
      ip: "",
      connectionId: a.connectionId,
      userId: a.userId,
      info: a.info,
      plan: a.plan,
      org: a.org,
      tokenExp: a.tokenExp,
      epoch: a.epoch,
      state,
      now: Date.now(),
      rev: a.rev ?? 1,
    });
    this.#conns.set(ws, conn);
    this.#joinedAt.set(conn, Date.now());
    return conn;
  }

  /** Announces a fresh connection after ENTER_DEFER_MS unless its first patch did (connection.ts). */
  deferEnter(conn: Connection, ms: number): void {
    conn.enterTimer = setTimeout(() => {
      announce(conn, WORKERS_CLOCK);
      this.save(conn);
    }, ms);
  }

  accept(ws: WorkerSocket): void {
    this.state.acceptWebSocket(ws, [CLIENT_TAG]);
  }

  /** Writes the connection's attachment (after every message: buckets and clock changed). */
  save(conn: Connection, lastSeen = Date.now()): void {
    const ws = conn.ws as unknown as WorkerSocket;
    if (conn.ended !== undefined) return;
    ws.serializeAttachment(attachmentOf(conn, this.#joinedAt.get(conn) ?? Date.now(), lastSeen));
  }

  /** The part of the Node edge's EdgeRoom that handleMessage and announce call. */
  #roomAdapter(): Connection["room"] {
    const adapter = {
      publish: (entry: BatchEntry) => this.publish(entry),
      sendSnapshot: (conn: Connection, syncId: number) => this.sendSnapshot(conn, syncId),
      // Views (PROTOCOL.md §8) are not served by this edge: every member sees everyone
      // (docs/EDGE-WORKERS.md#limits-of-this-edge).
      setView: () => {},
      get roomId() {
        return adapter.id();
      },
      id: () => this.roomId ?? "",
    };
    return adapter as unknown as Connection["room"];
  }

  /** An entry of one of this object's connections: apply, fan out, forward to the pod. */
  publish(entry: BatchEntry): void {
    if (this.replica.apply(entry).kind === "stale") return;
    enqueueEntry(this.#pending, entry);
    this.#outbound.push(entry);
    this.#scheduleFlush();
  }

  #fromPod(entries: readonly BatchEntry[]): void {
    let gap = false;
    for (const e of entries) {
      const outcome = this.replica.apply(e);
      if (outcome.kind === "gap") gap = true;
      else if (outcome.kind !== "stale") enqueueEntry(this.#pending, e);
    }
    if (gap) void this.resync();
    this.#scheduleFlush();
  }

  /**
   * All entries waiting go out as one BATCH frame, encoded once for every socket,
   * and the object's own as one write to the pod (docs/ARCHITECTURE.md#the-edge),
   * on the Node edge's adaptive schedule: after the current event in a small room,
   * spaced up to TICK_MS apart as the room's flushes get expensive.
   */
  #scheduleFlush(): void {
    this.#flusher.request();
  }

  #flush(): void {
    const entries = drainQueue(this.#pending);
    if (entries.length > 0) {
      const frame = encode({ type: MessageType.BATCH, entries });
      const sockets = this.state.getWebSockets(CLIENT_TAG);
      for (const ws of sockets) ws.send(frame);
      this.#writes += sockets.length;
    }
    if (this.#outbound.length > 0 && this.roomId !== undefined) {
      this.link.send({ type: "write", roomId: this.roomId, entries: this.#outbound });
      this.#outbound = [];
    }
  }

  sendSnapshot(conn: Connection, syncId: number): void {
    const ws = conn.ws as unknown as WorkerSocket;
    const peers = this.replica.snapshot();
    for (const chunk of chunkSnapshot(peers)) {
      ws.send(encode({ type: MessageType.SNAPSHOT_CHUNK, syncId, entries: chunk }));
    }
    ws.send(encode({ type: MessageType.SNAPSHOT_DONE, syncId, total: peers.length }));
  }

  /** The pod's view may differ from ours (a gap, a pod change): reload and send every socket a fresh snapshot. */
  async resync(): Promise<void> {
    if (this.roomId === undefined) return;
    const peers = await this.link.sync(this.roomId);
    this.#merge(peers);
    for (const conn of this.connections()) this.sendSnapshot(conn, 0);
  }

  /** Ends a connection the way the Node edge's connection-end.ts does (EndMode). */
  end(conn: Connection, mode: EndMode, code?: keyof typeof ERRORS, message?: string): void {
    if (conn.ended !== undefined) return;
    conn.ended = mode;
    const ws = conn.ws as unknown as WorkerSocket;
    const announced = conn.enterTimer === undefined;
    if (conn.enterTimer !== undefined) clearTimeout(conn.enterTimer as number);
    conn.enterTimer = undefined;
    if (code !== undefined) {
      try {
        ws.send(errorFrame(code, message ?? code));
        ws.close(ERRORS[code].closeCode ?? 1011, code);
      } catch {
        // Already closed by the peer: the ERROR has nowhere to go, the ending goes on.
      }
    }
    this.#conns.delete(ws);
    try {
      // An ended connection's socket keeps nothing: it is never rebuilt from its
      // attachment (a late close event, a wake before the runtime dropped it).
      ws.serializeAttachment(null);
    } catch {
      // Already gone: there is nothing to rebuild from.
    }
    const lastedMs = Date.now() - (this.#joinedAt.get(conn) ?? Date.now());
    record(this.env.METRICS, this.roomId, { kind: "end", mode, lastedMs });
    // A replacing join records the same id itself, at its newer epoch.
    if (mode !== "replaced") this.#rememberEnded(conn);
    const leave = (reason: "left" | "expired") => leaveEntry(conn, reason);
    if ((mode === "left" || mode === "expired") && announced) this.publish(leave(mode));
    if (mode === "ghost" && announced) {
      // Visible for a grace period: a reconnect with the same id takes the entry over without flicker;
      // peers of revision 2 are told it is reconnecting (PEER_LOST, PROTOCOL.md §9).
      const lost = peerLostOf(conn);
      this.relayEvent(lost);
      if (this.roomId !== undefined) this.link.send({ type: "event", roomId: this.roomId, event: lost });
      setTimeout(() => {
        const peer = this.replica.get(conn.connectionId);
        if (peer && peer.epoch === conn.epoch) this.publish(leave("expired"));
      }, GHOST_GRACE_MS);
    }
    if (mode !== "replaced") this.#releaseIfEmpty(ws);
  }

  #releaseIfEmpty(closing: WorkerSocket): void {
    const left = this.state.getWebSockets(CLIENT_TAG).filter((ws) => ws !== closing && this.#conns.has(ws));
    if (left.length > 0 || this.roomId === undefined) return;
    // Flush the leave first: the pod must see it before the link goes.
    setTimeout(() => {
      const live = (ws: WorkerSocket) => {
        const conn = this.connectionOf(ws);
        return conn !== undefined && conn.ended === undefined;
      };
      if (this.state.getWebSockets(CLIENT_TAG).some(live)) return;
      this.#flusher.flushNow();
      if (this.roomId !== undefined) this.link.release(this.roomId);
      this.#loaded = undefined;
    }, GHOST_GRACE_MS + 100);
  }

  /**
   * The next alarm: the earliest token expiry or silent-socket check while the room
   * has members, and `knownDue`, when a known-connection entry outlives its retention
   * (an empty room is woken for that sweep only).
   */
  async armAlarm(knownDue?: number): Promise<void> {
    let at = knownDue ?? Number.POSITIVE_INFINITY;
    const conns = this.connections();
    if (conns.length > 0) at = Math.min(at, Date.now() + sweepMsOf(this.env));
    for (const c of conns) at = Math.min(at, c.tokenExp * 1000);
    await this.#alarmBy(at);
  }

  /** Makes the alarm fire by `at` at the latest (an earlier one stays). */
  async #alarmBy(at: number): Promise<void> {
    if (!Number.isFinite(at)) return;
    const current = await this.state.storage.getAlarm();
    if (current === null || current > at) await this.state.storage.setAlarm(Math.max(at, Date.now() + 10));
  }

  async alarm(): Promise<void> {
    // Woken by the alarm after an eviction, the replica is empty: a leave needs the
    // room's state to apply to (without it the leave would be dropped as stale).
    if (this.state.getWebSockets(CLIENT_TAG).length > 0) await this.loaded().catch(() => {});
    const now = Date.now();
    for (const ws of this.state.getWebSockets(CLIENT_TAG)) {
      const conn = this.connectionOf(ws);
      if (!conn) continue;
      if (conn.tokenExp * 1000 <= now) this.end(conn, "ghost", "TOKEN_EXPIRED", "token expired");
      else if (this.#silent(ws, now)) {
        this.end(conn, "expired");
        // As the Node edge ends a dead socket: the client, if it is there after all, reconnects.
        try {
          ws.close(1001, "no sign of life");
        } catch {
          // The runtime closed it meanwhile.
        }
      }
    }
    const live = new Set(this.connections().flatMap((c) => (c.ended === undefined ? [c.connectionId] : [])));
    await this.armAlarm(await sweepKnown(this.state.storage, live, now, knownRetentionMsOf(this.env)));
  }

  /**
   * Whether a client socket stopped showing life: one that sends text keepalives is
   * held to the Node edge's bound (KEEPALIVE_DEAD_MS) since its last keepalive or
   * message; one that never did (an SDK without keepalives) to SILENT_SOCKET_MS since
   * its last message. Like the Node edge's pongs, neither proves the client reads.
   */
  #silent(ws: WorkerSocket, now: number): boolean {
    const lastSeen = (ws.deserializeAttachment() as SocketAttachment).lastSeen;
    const keptAlive = this.state.getWebSocketAutoResponseTimestamp(ws)?.getTime();
    if (keptAlive === undefined) return now - lastSeen > SILENT_SOCKET_MS;
    return now - Math.max(keptAlive, lastSeen) > KEEPALIVE_DEAD_MS;
  }

  /** A connection ended: its known entry's retention counts from now. */
  #rememberEnded(conn: Connection): void {
    const now = Date.now();
    const stored = rememberKnown(this.state.storage, conn.connectionId, conn, now);
    // Only the retention: the sweep and token expiries are armAlarm's, from the members left.
    void stored.then(() => this.#alarmBy(now + knownRetentionMsOf(this.env))).catch(() => {});
  }

  async webSocketMessage(ws: WorkerSocket, data: ArrayBuffer | string): Promise<void> {
    if (this.state.getTags(ws).includes(POD_TAG)) {
      // Not awaited: the snapshot that loads the room arrives on this socket too. An
      // update before it meets an empty replica (gaps are resynced; the load overwrites).
      this.loaded().catch(() => {});
      try {
        this.link.receive(data);
      } catch (err) {
        // A frame the pod should never send: dropped, and said so in the Worker's logs.
        console.warn(
          JSON.stringify({ msg: "malformed pod link frame dropped", err: (err as Error).message }),
        );
      }
      return;
    }
    try {
      await this.loaded();
    } catch (err) {
      // Woken without a reachable pod: the client reconnects with backoff (PROTOCOL.md §7).
      const conn = this.connectionOf(ws);
      if (conn)
        this.end(conn, "ghost", "UNAVAILABLE", `the pod tier is unreachable: ${(err as Error).message}`);
      return;
    }
    const conn = this.connectionOf(ws);
    if (!conn) return;
    const size = typeof data === "string" ? data.length : data.byteLength;
    if (size > MAX_INBOUND_FRAME_BYTES) {
      ws.close(1009, "frame too large");
      this.end(conn, "expired");
      return;
    }
    const bytes = typeof data === "string" ? data : new Uint8Array(data);
    handleMessage(conn, this.hooks, bytes as Parameters<typeof handleMessage>[2], typeof data !== "string");
    this.save(conn);
  }

  async webSocketClose(ws: WorkerSocket, code: number): Promise<void> {
    if (this.state.getTags(ws).includes(POD_TAG)) return this.#podLost();
    const conn = this.connectionOf(ws);
    if (!conn) return;
    this.end(conn, endModeOfClose(code));
    try {
      ws.close(1000, "closed");
    } catch {
      // The runtime already closed it: nothing to answer.
    }
  }

  async webSocketError(ws: WorkerSocket): Promise<void> {
    await this.webSocketClose(ws, 1006);
  }

  /** The pod went away: re-dial with backoff, then re-assert our connections and resync (docs/ARCHITECTURE.md#failover-walkthrough). */
  #podLost(): void {
    this.link.lost();
    record(this.env.METRICS, this.roomId, { kind: "pod-lost" });
    if (this.connections().length === 0 || this.roomId === undefined) return;
    const delay = POD_REDIAL_MS[Math.min(this.#redials, POD_REDIAL_MS.length - 1)]!;
    this.#redials++;
    setTimeout(() => {
      const roomId = this.roomId!;
      this.link.connect(roomId).then(
        () => {
          this.#redials = 0;
          const enters = this.connections().flatMap((c): BatchEntry[] => {
            const p = this.replica.get(c.connectionId);
            return p && c.enterTimer === undefined ? [{ kind: "enter", ...p }] : [];
          });
          if (enters.length > 0) this.link.send({ type: "write", roomId, entries: enters });
          return this.resync();
        },
        () => this.#podLost(),
      );
    }, delay);
  }

  async #podConnects(request: Request): Promise<Response> {
    const auth = request.headers.get("authorization") ?? "";
    if (!sameSecret(auth, `Bearer ${this.env.LINK_SECRET}`))
      return new Response("bad link secret\n", { status: 401 });
    const [client, server] = newWebSocketPair();
    this.link.accept(server);
    return upgradeResponse(client, undefined);
  }
}
