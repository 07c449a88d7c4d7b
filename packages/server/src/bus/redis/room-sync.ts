// One room on the Redis bus: what this pod writes (own entries, state, last-seen),
// what it reads (other pods' entries, via its consumer group) and the repairs
// after Redis faults:
//  - a write that failed (Redis down, partition, too many in flight) marks the
//    room lost; the next touch that succeeds re-asserts every own connection with
//    a fresher version, so other pods get their current state back;
//  - a touch that finds own connections missing from the state hash (another pod
//    expired them, or Redis was flushed/restarted) re-asserts those;
//  - an `expired` leave read for an own live connection is not delivered: it is
//    re-asserted instead;
//  - NOGROUP (FLUSHALL, restart) recreates the group at 0 and reads again; the
//    touch recreates it too, once a second, even for a room nobody writes to.
import type { BatchEntry, PeerState } from "@collabblocks/protocol";
import type { BusHandler } from "../bus.js";
import { type ExpiryContext, expireCandidates } from "./expiry.js";
import { createGapRepair, type GapRepair } from "./gap-repair.js";
import { seenKey, stateKey, streamKey, wakeChannel } from "./keys.js";
import { createOwnConnections, type OwnConnections } from "./own-connections.js";
import { createRoomReader, READ_BATCH, type ReadResult, type RoomReader } from "./room-reader.js";
import { JOINING, joinedPhase, moveTo, type RoomSyncPhase, STOPPED, UNJOINED } from "./room-sync-phase.js";
import type { BusRedis } from "./scripts.js";
import {
  batchConnectionField,
  decodeStoredPeer,
  decodeStreamBatch,
  encodeStoredPeer,
  encodeStreamBatch,
} from "./stream-codec.js";
import { createVersionTracker, type VersionTracker } from "./version-tracker.js";
import { createWakeLedger, type WakeLedger } from "./wake-ledger.js";

export { SWEEPER_ORIGIN } from "./expiry.js";
/** Origin reported for state loaded from the hash after a late join. */
export const REDIS_ORIGIN = "redis";

export interface RoomSyncConfig {
  readonly podId: string;
  readonly expiryMs: number;
  readonly joinLookbackMs: number;
  readonly streamMaxLen: number;
  readonly keyTtlMs: number;
  readonly groupGcIdleMs: number;
  readonly maxInflight: number;
  readonly inlineWakeBytes: number;
  readonly lazyReadMs: number;
}

export interface RoomSyncOptions {
  readonly roomId: string;
  readonly handler: BusHandler;
  readonly redis: BusRedis;
  readonly config: RoomSyncConfig;
  /** Appends in flight, shared by all rooms of the process. */
  readonly inflight: { count: number };
  readonly requestFlush: (room: RoomSync) => void;
  readonly onError: (err: unknown, context: string) => void;
}

export interface RoomSync {
  readonly keys: {
    readonly stream: string;
    readonly state: string;
    readonly seen: string;
    readonly wake: string;
  };
  readonly lag: number;
  /** Creates the group and loads the persisted state ([] if Redis is unreachable: retried by tick()). */
  join(): Promise<readonly PeerState[]>;
  publish(entries: readonly BatchEntry[]): void;
  /** Sends the queued own entries as one stream entry (drops them, marking the room lost, if `connected` is false). */
  flush(connected: boolean): void;
  touch(connectionIds: readonly string[]): void;
  markLost(): void;
  /** A wake-up: entry `id` written by `origin`, with its `d` when small enough to ride along. */
  onWake(id: string, origin: string, payload: Buffer | undefined): void;
  catchUp(): void;
  tick(ownReadMs: number): void;
  maintain(slowSweepMs: number): void;
  stop(): void;
}

const isNoGroup = (err: unknown): boolean => err instanceof Error && err.message.includes("NOGROUP");

/** Field value of a stream entry's flat [field, value, …] list. */
function field(fields: readonly Buffer[], name: string): Buffer | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i]?.toString() === name) return fields[i + 1];
  return undefined;
}

export function createRoomSync(options: RoomSyncOptions): RoomSync {
  const { roomId, handler, redis, config, inflight, onError } = options;
  const { podId } = config;
  const keys = {
    stream: streamKey(roomId),
    state: stateKey(roomId),
    seen: seenKey(roomId),
    wake: wakeChannel(roomId),
  };
  const own: OwnConnections = createOwnConnections();
  const versions: VersionTracker = createVersionTracker();
  let outbox: BatchEntry[] = [];
  const seenAdd = new Set<string>();
  const stateSet = new Map<string, PeerState>();
  const removed = new Set<string>();
  /** Where the room is in its life (room-sync-phase.ts: the states and their transitions). */
  let phase: RoomSyncPhase = UNJOINED;
  const isJoined = (): boolean => phase.kind === "joined";
  const isStopped = (): boolean => phase.kind === "stopped";
  /** A write failed: re-assert own connections at the next good touch (any phase). */
  let lost = false;
  /** A touch is in flight (any phase). */
  let touching = false;
  let lag = 0;
  const ledger: WakeLedger = createWakeLedger();
  let lazyRead: ReturnType<typeof setTimeout> | undefined;

  const queue = (entry: BatchEntry, entered?: PeerState, gone?: string): void => {
    versions.observe(entry);
    outbox.push(entry);
    if (entered) {
      removed.delete(entered.connectionId);
      seenAdd.add(entered.connectionId);
      stateSet.set(entered.connectionId, entered);
    }
    if (gone !== undefined) {
      seenAdd.delete(gone);
      stateSet.delete(gone);
      removed.add(gone);
    }
  };

  const reassert = (cids: Iterable<string>): void => {
    let any = false;
    for (const cid of cids) {
      const peer = own.reassert(cid);
      if (!peer) continue;
      queue({ kind: "enter", ...peer }, peer);
      any = true;
    }
    if (any) options.requestFlush(room);
  };

  const repair: GapRepair = createGapRepair({
    fetch: (cids) => redis.hmgetBuffer(keys.state, ...cids),
    deliver(peers) {
      const fresher: BatchEntry[] = [];
      for (const p of peers) {
        const known = versions.get(p.connectionId);
        if (known && (known.epoch > p.epoch || (known.epoch === p.epoch && known.clock >= p.clock))) continue;
        versions.observePeer(p);
        fresher.push({ kind: "enter", ...p });
      }
      if (fresher.length > 0 && !isStopped()) handler(fresher, REDIS_ORIGIN);
    },
    onError,
  });

  /**
   * Other pods' entries: lift expiries, keep own live connections alive, hold back
   * updates that reveal a gap (repaired from the state hash), deliver the rest.
   */
  const deliver = (entries: readonly BatchEntry[], origin: string): boolean => {
    const out: BatchEntry[] = [];
    const back: string[] = [];
    let complete = true;
    for (const e of entries) {
      if (e.kind === "leave" && own.has(e.connectionId)) {
        if (e.reason === "expired") back.push(e.connectionId);
        continue;
      }
      if (e.kind === "update") {
        const known = versions.get(e.connectionId);
        if (!known || known.epoch < e.epoch || (known.epoch === e.epoch && e.base > known.clock)) {
          repair.request(e.connectionId, e);
          complete = false;
          continue;
        }
      }
      const x = e.kind === "leave" ? versions.liftExpiry(e) : e;
      versions.observe(x);
      out.push(x);
    }
    if (out.length > 0) handler(out, origin);
    if (back.length > 0) reassert(back);
    return complete;
  };

  const readOnce = async (id: string): Promise<ReadResult> => {
    const reply = await redis.xreadgroupBuffer(
      "GROUP",
      podId,
      podId,
      "COUNT",
      READ_BATCH,
      "STREAMS",
      keys.stream,
      id,
    );
    const items = reply?.[0]?.[1] ?? [];
    const ids: string[] = [];
    for (const [idBuf, fields] of items) {
      const id = idBuf.toString();
      ids.push(id);
      if (ledger.read(id)) continue; // applied from its wake-up already
      if (!fields || isStopped()) continue; // an entry trimmed while pending
      const origin = field(fields, "o")?.toString() ?? "";
      if (origin === podId) continue;
      const d = field(fields, "d");
      if (!d) continue;
      try {
        deliver(decodeStreamBatch(d), origin);
      } catch (err) {
        onError(err, `bad stream entry in ${keys.stream}`);
      }
    }
    // A lost XACK is harmless: the entry stays pending and the next catch-up reads it again,
    // where the version tracker drops it as already applied.
    if (ids.length > 0) redis.xack(keys.stream, podId, ...ids).catch(() => {});
    return { count: items.length, lastId: ids[ids.length - 1] };
  };

  const read = async (id: string): Promise<ReadResult> => {
    try {
      return await readOnce(id);
    } catch (err) {
      if (!isNoGroup(err)) throw err;
      // The group is gone (FLUSHALL, restart, keys expired): everything in the
      // stream now is newer than what we hold, so start at 0.
      // BUSYGROUP (another read recreated it first) is fine; any other failure shows in
      // the read that follows, which reports it.
      await redis.xgroup("CREATE", keys.stream, podId, "0", "MKSTREAM").catch(() => {});
      return readOnce(id);
    }
  };

  const reader: RoomReader = createRoomReader({
    read,
    onError: (err) => onError(err, `read ${keys.stream}`),
  });

  const loadJoin = async (): Promise<PeerState[]> => {
    const [now, hash, seen] = await redis.presenceJoinBuffer(
      keys.stream,
      keys.state,
      keys.seen,
      podId,
      config.joinLookbackMs,
      config.keyTtlMs,
    );
    const seenAt = new Map<string, number>();
    for (let i = 0; i + 1 < seen.length; i += 2) seenAt.set(String(seen[i]), Number(String(seen[i + 1])));
    const peers: PeerState[] = [];
    const cutoff = Number(now) - config.expiryMs;
    for (let i = 0; i + 1 < hash.length; i += 2) {
      const cid = String(hash[i]);
      const at = seenAt.get(cid);
      // Not refreshed for the expiry period: a sweeper is about to remove it.
      if (at === undefined || at < cutoff) continue;
      try {
        const peer = decodeStoredPeer(hash[i + 1] as Buffer);
        versions.observePeer(peer);
        peers.push(peer);
      } catch (err) {
        onError(err, `bad state value in ${keys.state}`);
      }
    }
    if (phase.kind !== "joining") return []; // stopped meanwhile: a late result revives nothing
    phase = moveTo(phase, joinedPhase(false));
    reader.catchUp();
    return peers;
  };

  const join = async (): Promise<readonly PeerState[]> => {
    if (phase.kind !== "unjoined") return []; // joining or joined already, or stopped
    phase = moveTo(phase, JOINING);
    try {
      return await loadJoin();
    } catch (err) {
      onError(err, `join ${keys.stream}`);
      if (phase.kind === "joining") phase = moveTo(phase, UNJOINED); // the next tick retries
      return [];
    }
  };

  const expiry: ExpiryContext = {
    redis,
    keys,
    versions,
    isOwn: (cid) => own.has(cid),
    streamMaxLen: config.streamMaxLen,
    keyTtlMs: config.keyTtlMs,
    expiryMs: config.expiryMs,
    onError,
  };
  const expire = (candidates: readonly Buffer[]): void => expireCandidates(expiry, candidates);

  const room: RoomSync = {
    keys,
    get lag() {
      return lag;
    },
    join,
    publish(entries) {
      for (const e of entries) {
        const effect = own.record(e);
        queue(effect.entry, effect.entered, effect.removed);
      }
      options.requestFlush(room);
    },
    flush(connected) {
      if (outbox.length === 0 && removed.size === 0) return;
      const entries = outbox;
      outbox = [];
      const seenIds = [...seenAdd];
      const states = [...stateSet.values()];
      const gone = [...removed];
      seenAdd.clear();
      stateSet.clear();
      removed.clear();
      if (!connected || inflight.count >= config.maxInflight || entries.length === 0) {
        if (entries.length > 0) lost = true;
        return;
      }
      const d = encodeStreamBatch(entries);
      const args: (string | number | Buffer)[] = [
        keys.stream,
        keys.wake,
        keys.state,
        keys.seen,
        config.streamMaxLen,
        config.keyTtlMs,
        podId,
        Date.now(),
        batchConnectionField(entries),
        d,
        d.length <= config.inlineWakeBytes ? 1 : 0,
        seenIds.length,
        ...seenIds,
        states.length,
      ];
      for (const p of states) args.push(p.connectionId, encodeStoredPeer(p));
      args.push(gone.length, ...gone);
      inflight.count++;
      redis.presenceAppend(...args).then(
        () => {
          inflight.count--;
        },
        (err: unknown) => {
          inflight.count--;
          lost = true;
          onError(err, `append ${keys.stream}`);
        },
      );
    },
    touch(connectionIds) {
      if (touching || isStopped()) return;
      // Queued own entries go first: an enter's stored state must not land after a newer flushed one.
      room.flush(true);
      // The pod's live list is the truth: forget own connections it no longer holds (an
      // edge moved the room to another pod, or they left), so they are neither touched nor
      // re-asserted from here any more and a later re-assert can never resurrect one.
      own.retain(new Set(connectionIds));
      const live = connectionIds.filter((cid) => own.has(cid));
      const dirtyStates = own.takeDirty();
      const args: (string | number | Buffer)[] = [
        keys.stream,
        keys.state,
        keys.seen,
        podId,
        config.keyTtlMs,
        config.expiryMs,
        live.length,
        ...live,
        dirtyStates.length,
      ];
      for (const p of dirtyStates) args.push(p.connectionId, encodeStoredPeer(p));
      touching = true;
      redis
        .presenceTouchBuffer(...args)
        .then(([created, missing, candidates]) => {
          if (Number(created) === 1 && isJoined()) reader.wake();
          if (lost) {
            lost = false;
            reassert(own.ids());
          } else if (missing.length > 0) reassert(missing.map(String));
          expire(candidates);
        })
        .catch((err: unknown) => {
          lost = true;
          own.markAllDirty();
          onError(err, `touch ${keys.stream}`);
        })
        .finally(() => {
          touching = false;
        });
    },
    markLost() {
      lost = true;
    },
    onWake(id, origin, payload) {
      if (phase.kind !== "joined") return;
      if (origin === podId) {
        if (!phase.ownUnread) phase = moveTo(phase, joinedPhase(true));
        return;
      }
      if (payload === undefined) {
        reader.wake();
        return;
      }
      if (!ledger.isNew(id)) return;
      try {
        // Applied now; read and acknowledged lazily. An entry that revealed a gap is
        // not marked applied, so the read delivers it again, in order, after what it missed.
        if (deliver(decodeStreamBatch(payload), origin)) ledger.applied(id);
      } catch (err) {
        onError(err, `bad wake-up payload on ${keys.wake}`);
      }
      lazyRead ??= setTimeout(() => {
        lazyRead = undefined;
        if (!isStopped()) reader.wake();
      }, config.lazyReadMs);
    },
    catchUp() {
      if (isJoined()) reader.catchUp();
    },
    tick(ownReadMs) {
      if (phase.kind === "stopped" || phase.kind === "joining") return;
      if (phase.kind === "unjoined") {
        join().then(
          (peers) => {
            if (peers.length > 0 && !isStopped())
              handler(
                peers.map((p): BatchEntry => ({ kind: "enter", ...p })),
                REDIS_ORIGIN,
              );
          },
          () => {},
        );
        return;
      }
      if (reader.failed) reader.wake();
      else if (phase.ownUnread && performance.now() - reader.lastReadAt >= ownReadMs) {
        phase = moveTo(phase, joinedPhase(false));
        reader.wake();
      }
    },
    maintain(slowSweepMs) {
      if (!isJoined()) return;
      redis
        .presenceMaintainBuffer(
          keys.stream,
          keys.state,
          keys.seen,
          podId,
          config.groupGcIdleMs,
          config.expiryMs,
        )
        .then(([ownGroup, groupLag, , candidates]) => {
          lag = Math.max(0, Number(groupLag));
          if (Number(ownGroup) === 0) reader.wake(); // recreates it (NOGROUP path)
          expire(candidates);
        })
        .catch((err: unknown) => onError(err, `maintain ${keys.stream}`));
      if (performance.now() - reader.lastReadAt >= slowSweepMs) reader.wake();
    },
    stop() {
      if (isStopped()) return;
      phase = moveTo(phase, STOPPED);
      reader.stop();
      repair.stop();
      if (lazyRead) clearTimeout(lazyRead);
    },
  };
  return room;
}
