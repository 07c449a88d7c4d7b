// A room session: my presence, everyone else's, and the glue between the
// connection (connection.ts), the outbox (outbox.ts), the replica (others-store.ts)
// and resyncs (resync.ts). Each of those is a small module with its own tests;
// this file only wires them to the lifecycle of PROTOCOL.md §5/§9:
//   welcome → join snapshot → re-assert my presence → live batches;
//   lost → others kept for `lostConnectionTimeout` → reconnect → missing peers linger.
import {
  applyPatch,
  applyValidatedPatch,
  assertNever,
  type BatchMessage,
  type ClientMessage,
  isPlainObject,
  MessageType,
  type Patch,
  type PeerState,
  type PresenceData,
  ProtocolError,
  patchFromPartial,
  RATE_BURST,
  RATE_PER_SECOND,
  type SnapshotDoneMessage,
  validateState,
  type WelcomeMessage,
} from "@collabblocks/protocol";
import { type Connection, createConnection } from "./connection.js";
import { createConnectionId } from "./connection-id.js";
import type { Inbound } from "./e2ee-open.js";
import { createEmitter } from "./emitter.js";
import { createOthersStore } from "./others-store.js";
import { createOutbox } from "./outbox.js";
import { diffStates, effectivePatch, isEmptyPatch } from "./presence-diff.js";
import { createRateBudget } from "./rate-budget.js";
import { createResync } from "./resync.js";
import { createRoomCrypto, type EncryptionConfig } from "./room-crypto.js";
import { createRoomView } from "./room-view.js";
import { createRttTracker, RTT_REPORT_INTERVAL_MS } from "./rtt-tracker.js";
import { createSerialQueue } from "./serial-queue.js";
import type { WebSocketConstructor } from "./socket.js";
import { createTimerSlot, type Timers } from "./timers.js";
import type { TokenSource } from "./token-source.js";
import type {
  ClientErrorCode,
  EnterRoomResult,
  OthersEvent,
  PresenceError,
  Room,
  RoomEvents,
  Status,
  User,
  ViewInput,
} from "./types.js";
import { createUsersView } from "./users-view.js";
import type { VisibilitySource } from "./visibility.js";
import type { WakeSource } from "./wake.js";

/** Server errors meaning "your last patch was refused": the server's copy may now differ from ours. */
const REFUSED_PATCH: ReadonlySet<ClientErrorCode> = new Set<ClientErrorCode>([
  "RATE_LIMITED",
  "INVALID_PRESENCE",
  "PRESENCE_TOO_LARGE",
  "MALFORMED_MESSAGE",
]);

export interface RoomSettings {
  readonly baseUrl: string;
  readonly tokens: TokenSource;
  readonly WebSocket: WebSocketConstructor | undefined;
  readonly timers: Timers;
  readonly random: () => number;
  readonly throttleMs: number;
  readonly lostConnectionTimeoutMs: number;
  /** console.warn every error the room reports (default: not in production builds). */
  readonly warnings: boolean;
  readonly visibility: VisibilitySource | null;
  readonly wake: WakeSource | null;
}

/** Validates and normalises a presence object (drops undefined keys). Throws ProtocolError. */
export function normalisePresence(value: object): PresenceData {
  const state = applyPatch({}, patchFromPartial(value as Record<string, unknown>));
  validateState(state);
  return state;
}

export function createRoom<P extends object>(
  roomId: string,
  initialPresence: P,
  settings: RoomSettings,
  onConnect: (leave: () => void) => void,
  onLeave: () => void,
  initialView?: ViewInput | null,
  encryption?: EncryptionConfig | null,
): EnterRoomResult<P> {
  const { timers } = settings;
  const emitter = createEmitter<RoomEvents<P>>();
  // First listener of "others": the per-user view learns each change before the app hears it.
  const users = createUsersView<P>();
  emitter.on("others", (list, event) => users.observe(list, event));
  // The server derives the connectionId from this key and the token's user (PROTOCOL.md §1).
  const identityKey = createConnectionId();
  let selfCid = "";
  let presence: PresenceData = Object.freeze(normalisePresence(initialPresence));
  let userId: string | null = null;
  let selfUser: User<P> | null = null;
  let status: Status = "initial";
  let connection: Connection | null = null;
  let welcome: WelcomeMessage | null = null;
  let everJoined = false;
  let left = false;
  let unsubscribeVisibility: (() => void) | undefined;
  let unsubscribeWake: (() => void) | undefined;
  // Bumped at each welcome and outage: deferred work (decryption, a re-assert waiting for
  // sealing) started for an older connection is dropped rather than applied to the new one.
  let session = 0;

  // Encrypted presence (docs/E2EE.md): `presence` stays clear; `wire` is its sealed form,
  // what the server should hold for us. Sealing and opening are async, so both directions go
  // through a sequential queue (serial-queue.ts) that keeps their order.
  const e2ee =
    encryption == null
      ? null
      : createRoomCrypto(encryption, {
          roomId,
          connectionId: () => selfCid,
          epoch: () => welcome?.epoch ?? 0,
          onDecryptError: (error) => emitter.emit("decrypt-error", error),
        });
  let wire: PresenceData = {};
  const wireState = () => (e2ee === null ? presence : wire);
  const outQueue = createSerialQueue((err) =>
    emitError({ code: "ENCRYPT_FAILED", message: `presence not sent: ${String(err)}`, fatal: false }),
  );
  const inQueue = createSerialQueue((err) => {
    emitError({
      code: "MALFORMED_MESSAGE",
      message: `server frame not applied: ${String(err)}`,
      fatal: false,
    });
    resync.request();
  });

  // Own patches of the current epoch: the nth sent gets clock n (PROTOCOL.md §5).
  let sentClock = 0;
  let rttTrusted = true; // false once the server refused a patch: clocks no longer match sends
  let repairing = false; // a full-state repair is out; don't repeat it until an echo succeeds
  const serverKeys = new Set<string>(); // keys the server may hold for us (for deletes in a repair)

  const others = createOthersStore<P>(() => selfCid);
  const view = createRoomView(
    initialView,
    () => ({ selfUserId: userId, others: others.getOthers() }),
    timers,
    (msg: ClientMessage) => connection?.send(msg) ?? false,
  );
  const rtt = createRttTracker();
  const outageSlot = createTimerSlot(timers);
  const lingerSlot = createTimerSlot(timers);
  const rttSlot = createTimerSlot(timers);
  let outage: { lost: boolean } | null = null;

  const isHidden = () => settings.visibility?.isHidden() ?? false;
  const outbox = createOutbox({ timers, throttleMs: settings.throttleMs, isHidden, send: sendPatch });
  const resync = createResync(
    timers,
    (syncId) => connection?.send({ type: MessageType.SYNC_REQUEST, syncId }) ?? false,
  );

  /** Hands a clear patch to the outbox in its wire form, in call order. */
  function sendLater(patch: Patch): void {
    if (e2ee === null) {
      outbox.add(patch);
      return;
    }
    outQueue.push(e2ee.seal(patch), (sealed) => {
      wire = applyPatch(wire, sealed);
      outbox.add(sealed);
    });
  }

  /** Runs `fn` once everything handed to sendLater so far is sealed (at once when nothing waits). */
  function afterSealing(fn: () => void): void {
    const mine = session;
    outQueue.push(undefined, () => {
      if (mine === session) fn();
    });
  }

  function sendPatch(patch: Patch): boolean {
    const ok = connection?.send({ type: MessageType.UPDATE_PRESENCE, set: patch.set, del: patch.del });
    if (!ok) return false;
    sentClock++;
    for (const key of Object.keys(patch.set)) serverKeys.add(key);
    if (rttTrusted) rtt.sent(sentClock, timers.now());
    return true;
  }

  function emitOthers(events: readonly OthersEvent<P>[]): void {
    if (events.length === 0) return;
    const list = others.getOthers();
    for (const event of events) emitter.emit("others", list, event);
    const counted = view.recount();
    if (counted !== undefined) emitter.emit("occupancy", counted);
  }

  function scheduleLinger(): void {
    const next = others.nextLingerDeadline();
    if (next === undefined) {
      lingerSlot.clear();
      return;
    }
    lingerSlot.start(next - timers.now(), () => {
      emitOthers(others.expireLingering(timers.now()));
      scheduleLinger();
    });
  }

  function reportRtt(): void {
    const counts = rtt.takeReport();
    if (counts !== null) connection?.send({ type: MessageType.RTT_REPORT, counts });
    rttSlot.start(RTT_REPORT_INTERVAL_MS, reportRtt);
  }

  /** The server refused a patch: send the whole state, deleting every key it may hold that we don't. */
  function repair(): void {
    rttTrusted = false;
    rtt.forgetPending();
    if (repairing) return;
    repairing = true;
    const state = wireState();
    const del = [...serverKeys].filter((key) => !Object.hasOwn(state, key));
    outbox.replace({ set: state, del });
  }

  function onBatch(msg: BatchMessage): void {
    const now = timers.now();
    const events: OthersEvent<P>[] = [];
    let gap = false;
    for (const entry of msg.entries) {
      if (
        entry.connectionId === selfCid &&
        (entry.kind === "enter" || entry.kind === "update") &&
        entry.epoch === welcome?.epoch
      ) {
        // Our first patch of an epoch may come back as our (deferred) enter: it acks (0, clock].
        const base = entry.kind === "update" ? entry.base : 0;
        if (entry.clock > base) {
          if (rttTrusted) rtt.echoed(base, entry.clock, now);
          repairing = false;
        }
      }
      const result = others.apply(entry);
      if (result.outcome.kind === "gap") gap = true;
      for (const e of result.events) events.push(e);
    }
    if (gap) resync.request();
    emitOthers(events);
  }

  function onSnapshotDone(msg: SnapshotDoneMessage, joining: boolean): void {
    view.snapshotApplied();
    const entries = resync.done(msg.syncId, msg.total);
    if (!joining) {
      if (entries !== undefined) emitOthers(others.applySnapshot(entries));
      return;
    }
    const now = timers.now();
    let restored = false;
    let lingerUntil: number | undefined;
    if (outage !== null) {
      outageSlot.clear();
      restored = outage.lost;
      if (!outage.lost) lingerUntil = now + settings.lostConnectionTimeoutMs;
      outage = null;
    }
    if (entries !== undefined) emitOthers(others.applySnapshot(entries, lingerUntil));
    scheduleLinger();
    afterSealing(() => reassert(entries));
    everJoined = true;
    selfUser = null; // info comes from our own snapshot entry
    rttSlot.start(RTT_REPORT_INTERVAL_MS, reportRtt);
    if (restored) emitter.emit("lost-connection", "restored");
  }

  /** First patch of an epoch: turn the server's entry for us into our local presence. */
  function reassert(entries: readonly PeerState[] | undefined): void {
    const w = welcome;
    if (w === null) return;
    const mine = entries?.find((e) => e.connectionId === selfCid)?.state;
    const state = wireState();
    serverKeys.clear();
    let first: Patch;
    if (mine !== undefined || entries !== undefined) {
      const base = mine ?? {};
      for (const key of Object.keys(base)) serverKeys.add(key);
      first = diffStates(base, state);
    } else {
      // Incomplete join snapshot: we don't know what the server holds; assert everything.
      const known = others.self()?.state ?? {};
      for (const key of Object.keys(known)) serverKeys.add(key);
      first = { set: state, del: Object.keys(known).filter((k) => !Object.hasOwn(state, k)) };
    }
    repairing = false;
    // A welcome without a usable budget falls back to the contract's 20/s, burst 5.
    const rate = w.limits.ratePerSecond > 0 ? w.limits.ratePerSecond : RATE_PER_SECOND;
    const burst = w.limits.burst >= 1 ? w.limits.burst : RATE_BURST;
    outbox.start(createRateBudget(rate, burst, timers.now()), first);
  }

  function startOutage(): void {
    session++;
    inQueue.reset();
    outbox.stop();
    resync.reset();
    rttSlot.clear();
    if (outage !== null) return;
    const current = { lost: false };
    outage = current;
    outageSlot.start(settings.lostConnectionTimeoutMs, () => {
      if (outage !== current) return;
      current.lost = true;
      lingerSlot.clear();
      emitOthers(others.clear());
      emitter.emit("lost-connection", "lost");
    });
  }

  function stopEverything(): void {
    outbox.stop();
    resync.reset();
    outageSlot.clear();
    lingerSlot.clear();
    rttSlot.clear();
    outage = null;
  }

  function onMessage(msg: Inbound, joining: boolean) {
    switch (msg.type) {
      case MessageType.OCCUPANCY:
        return emitter.emit("occupancy", view.occupancy(msg));
      case MessageType.BATCH:
        return onBatch(msg);
      case MessageType.SNAPSHOT_CHUNK:
        return resync.chunk(msg.syncId, msg.entries);
      case MessageType.SNAPSHOT_DONE:
        return onSnapshotDone(msg, joining && msg.syncId === 0);
      default:
        return assertNever(msg);
    }
  }

  function emitError(error: PresenceError): void {
    // Development builds say it in the console too: a refused update used to show
    // up only as others seeing nothing.
    if (settings.warnings) console.warn(`[collabblocks] room ${roomId}: ${error.code}: ${error.message}`);
    emitter.emit("error", error);
  }

  function connect(): void {
    if (left || connection !== null) return;
    const WebSocketImpl = settings.WebSocket;
    if (WebSocketImpl === undefined) {
      throw new TypeError(
        "no WebSocket implementation: pass `WebSocket` to createClient (on Node 20, the `ws` package's WebSocket)",
      );
    }
    unsubscribeVisibility = settings.visibility?.subscribe(() => {
      outbox.visibilityChanged();
      if (!isHidden()) connection?.wake(); // back on the page after an outage: try now
    });
    unsubscribeWake = settings.wake?.subscribe(() => connection?.wake());
    connection = createConnection({
      baseUrl: settings.baseUrl,
      roomId,
      identityKey,
      newIdentityKey: createConnectionId,
      tokens: settings.tokens,
      WebSocket: WebSocketImpl,
      timers,
      random: settings.random,
      viewParam: () => view.param(),
      handlers: {
        status(next) {
          status = next;
          emitter.emit("status", next);
        },
        welcome(w) {
          session++;
          inQueue.reset();
          welcome = w;
          const movedId = w.connectionId !== selfCid;
          selfCid = w.connectionId;
          if (e2ee !== null && movedId) {
            // Envelopes are bound to the connectionId: under a new one, seal everything again.
            wire = {};
            sendLater({ set: presence, del: [] });
          }
          userId = w.userId;
          selfUser = null;
          sentClock = 0;
          rttTrusted = true;
          rtt.reset(w.rttBuckets);
          view.declare();
        },
        message(msg: Inbound) {
          // Whether this ends the join snapshot is decided on arrival, not after decryption.
          const joining = connection?.state.kind === "joining" && msg.type === MessageType.SNAPSHOT_DONE;
          if (e2ee === null) return onMessage(msg, joining);
          inQueue.push(e2ee.open(msg), (opened) => onMessage(opened(), joining));
        },
        error(error) {
          emitError(error);
          if (!error.fatal && error.code !== "AUTH_FAILED" && REFUSED_PATCH.has(error.code)) repair();
        },
        undecodable(err) {
          emitError({ code: err.code, message: `undecodable server frame: ${err.message}`, fatal: false });
          resync.request();
        },
        lost: startOutage,
        gaveUp() {
          stopEverything();
          emitOthers(others.clear());
          if (everJoined) emitter.emit("lost-connection", "failed");
        },
      },
    });
    onConnect(leave);
    connection.connect();
  }

  function leave(): void {
    if (left) return;
    left = true;
    inQueue.reset();
    outQueue.reset();
    stopEverything();
    outbox.dispose();
    resync.dispose();
    view.dispose();
    unsubscribeVisibility?.();
    unsubscribeWake?.();
    if (connection !== null) connection.close();
    else if (status !== "disconnected") {
      status = "disconnected";
      emitter.emit("status", status);
    }
    onLeave();
  }

  if (e2ee !== null) {
    const refused = e2ee.check(presence);
    if (refused !== null)
      throw new TypeError(`initialPresence cannot be sealed (${refused.code}): ${refused.message}`);
    sendLater({ set: presence, del: [] });
  }

  const room: Room<P> = {
    id: roomId,
    get connectionId() {
      return selfCid;
    },
    updatePresence(partial) {
      if (!isPlainObject(partial)) throw new TypeError("updatePresence expects a plain object");
      if (left) return;
      let patch: Patch;
      let next: PresenceData;
      try {
        patch = patchFromPartial(partial as Record<string, unknown>);
        next = applyValidatedPatch(presence, patch);
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        emitError({ code: err.code, message: err.message, fatal: false });
        return;
      }
      const refused = e2ee?.check(next) ?? null;
      if (refused !== null) return emitError(refused);
      const effective = effectivePatch(presence, patch);
      if (isEmptyPatch(effective)) return;
      presence = Object.freeze(next);
      selfUser = null;
      sendLater(effective);
      emitter.emit("my-presence", presence as P);
    },
    getPresence: () => presence as P,
    getSelf() {
      if (userId === null) return null;
      if (selfUser === null) {
        const user: Record<string, unknown> = { ...presence, connectionId: selfCid, userId };
        const info = others.self()?.info;
        if (info !== undefined) user.info = info;
        selfUser = Object.freeze(user) as User<P>;
      }
      return selfUser;
    },
    getOthers: () => others.getOthers(),
    getOther: (cid) => others.getOther(cid),
    getUsers: () => users.get(others.getOthers()),
    getStatus: () => status,
    setView(next) {
      if (left) return;
      const refused = view.set(next);
      if (refused !== undefined) emitError(refused);
    },
    getView: () => view.get(),
    getOccupancy: () => view.getOccupancy(),
    subscribe: (event, callback) => emitter.on(event, callback),
    connect,
  };
  return { room, leave };
}
