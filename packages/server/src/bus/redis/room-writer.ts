// What one pod writes for a room on the Redis bus: its own entries (one append per
// flush), the once-a-second touch that keeps its connections alive and flushes
// their changed states, and the re-asserts that repair what a Redis fault lost
// (room-sync.ts lists the faults):
//  - a write that failed marks the room lost; the next touch that succeeds
//    re-asserts every own connection with a fresher version;
//  - a touch that finds own connections missing from the state hash (another pod
//    expired them, or Redis was flushed/restarted) re-asserts those.
import type { BatchEntry } from "@collabblocks/protocol";
import { createRoomOutbox, type OutboxBatch } from "./room-outbox.js";
import { isJoined, isStopped, type RoomSyncContext, streamWriteHead } from "./room-sync-context.js";
import { batchConnectionField, encodeStoredPeer, encodeStreamBatch } from "./stream-codec.js";

type Arg = string | number | Buffer;

export interface RoomWriterOptions {
  /** Appends in flight, shared by all rooms of the process. */
  readonly inflight: { count: number };
  /** Asks the bus to flush this room at the end of the turn. */
  readonly requestFlush: () => void;
  /** The touch recreated this pod's group (FLUSHALL, restart): read it again. */
  readonly onGroupCreated: () => void;
  /** Stale candidates the touch found ([connection id, stored state, …]). */
  readonly expire: (candidates: readonly Buffer[]) => void;
}

export interface RoomWriter {
  publish(entries: readonly BatchEntry[]): void;
  flush(connected: boolean): void;
  touch(connectionIds: readonly string[]): void;
  /** Queues a fresher `enter` of each own connection among `connectionIds`. */
  reassert(connectionIds: Iterable<string>): void;
}

function appendArgs(ctx: RoomSyncContext, batch: OutboxBatch): Arg[] {
  const { config } = ctx;
  const d = encodeStreamBatch(batch.entries);
  const args: Arg[] = [
    ...streamWriteHead(ctx),
    config.podId,
    ctx.clock.now(),
    batchConnectionField(batch.entries),
    d,
    d.length <= config.inlineWakeBytes ? 1 : 0,
    batch.seen.length,
    ...batch.seen,
    batch.states.length,
  ];
  for (const p of batch.states) args.push(p.connectionId, encodeStoredPeer(p));
  args.push(batch.gone.length, ...batch.gone);
  return args;
}

/** Touch args; forgets own connections the pod no longer holds (see touch). */
function touchArgs(ctx: RoomSyncContext, connectionIds: readonly string[]): Arg[] {
  const { keys, config, own } = ctx;
  // The pod's live list is the truth: forget own connections it no longer holds (an
  // edge moved the room to another pod, or they left), so they are neither touched nor
  // re-asserted from here any more and a later re-assert can never resurrect one.
  own.retain(new Set(connectionIds));
  const live = connectionIds.filter((cid) => own.has(cid));
  const dirty = own.takeDirty();
  const args: Arg[] = [
    keys.stream,
    keys.state,
    keys.seen,
    config.podId,
    config.keyTtlMs,
    config.expiryMs,
    live.length,
    ...live,
    dirty.length,
  ];
  for (const p of dirty) args.push(p.connectionId, encodeStoredPeer(p));
  return args;
}

export function createRoomWriter(ctx: RoomSyncContext, options: RoomWriterOptions): RoomWriter {
  const { redis, own, onError, keys } = ctx;
  const { inflight } = options;
  const outbox = createRoomOutbox(ctx.versions);
  /** A touch is in flight (any phase). */
  let touching = false;

  const append = (batch: OutboxBatch): void => {
    inflight.count++;
    redis.presenceAppend(...appendArgs(ctx, batch)).then(
      () => {
        inflight.count--;
      },
      (err: unknown) => {
        inflight.count--;
        ctx.lost = true;
        onError(err, `append ${keys.stream}`);
      },
    );
  };

  const writer: RoomWriter = {
    publish(entries) {
      for (const e of entries) {
        const effect = own.record(e);
        outbox.queue(effect.entry, effect.entered, effect.removed);
      }
      options.requestFlush();
    },
    flush(connected) {
      const batch = outbox.take();
      if (!batch) return;
      if (!connected || inflight.count >= ctx.config.maxInflight || batch.entries.length === 0) {
        if (batch.entries.length > 0) ctx.lost = true;
        return;
      }
      append(batch);
    },
    touch(connectionIds) {
      if (touching || isStopped(ctx)) return;
      // Queued own entries go first: an enter's stored state must not land after a newer flushed one.
      writer.flush(true);
      const args = touchArgs(ctx, connectionIds);
      touching = true;
      redis
        .presenceTouchBuffer(...args)
        .then(([created, missing, candidates]) => {
          if (Number(created) === 1 && isJoined(ctx)) options.onGroupCreated();
          if (ctx.lost) {
            ctx.lost = false;
            writer.reassert(own.ids());
          } else if (missing.length > 0) writer.reassert(missing.map(String));
          options.expire(candidates);
        })
        .catch((err: unknown) => {
          ctx.lost = true;
          own.markAllDirty();
          onError(err, `touch ${keys.stream}`);
        })
        .finally(() => {
          touching = false;
        });
    },
    reassert(cids) {
      let any = false;
      for (const cid of cids) {
        const peer = own.reassert(cid);
        if (!peer) continue;
        outbox.queue({ kind: "enter", ...peer }, peer);
        any = true;
      }
      if (any) options.requestFlush();
    },
  };
  return writer;
}
