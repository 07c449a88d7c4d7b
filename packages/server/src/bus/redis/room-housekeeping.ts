// A room's timing-driven work on the Redis bus, run by the bus's intervals
// (redis-bus.ts tickMs, slowSweepMs):
//  - tick: an unjoined room (its join failed) joins again and hands over what it
//    loaded; a failed read is retried; own entries written since the last read
//    (phase joined, ownUnread) are read once ownReadMs passed since it;
//  - maintain (slow sweep): the group's lag, a group that vanished (recreated by
//    a read), stale candidates to expire, and a read when none ran for a sweep
//    period (a lost wake-up costs at most that).
import type { BatchEntry, PeerState } from "@collabblocks/protocol";
import type { RoomReader } from "./room-reader.js";
import { isJoined, isStopped, REDIS_ORIGIN, type RoomSyncContext } from "./room-sync-context.js";
import { joinedPhase, moveTo } from "./room-sync-phase.js";

export function tickRoom(
  ctx: RoomSyncContext,
  parts: { readonly reader: RoomReader; readonly join: () => Promise<readonly PeerState[]> },
  ownReadMs: number,
): void {
  const { phase } = ctx;
  const { reader } = parts;
  if (phase.kind === "stopped" || phase.kind === "joining") return;
  if (phase.kind === "unjoined") {
    parts.join().then(
      (peers) => {
        if (peers.length === 0 || isStopped(ctx)) return;
        ctx.handler(
          peers.map((p): BatchEntry => ({ kind: "enter", ...p })),
          REDIS_ORIGIN,
        );
      },
      () => {}, // joinRoom reports its own failures and never rejects
    );
    return;
  }
  if (reader.failed) reader.wake();
  else if (phase.ownUnread && ctx.clock.now() - reader.lastReadAt >= ownReadMs) {
    ctx.phase = moveTo(phase, joinedPhase(false));
    reader.wake();
  }
}

export function maintainRoom(
  ctx: RoomSyncContext,
  parts: {
    readonly reader: RoomReader;
    readonly expire: (candidates: readonly Buffer[]) => void;
    readonly setLag: (lag: number) => void;
  },
  slowSweepMs: number,
): void {
  if (!isJoined(ctx)) return;
  const { keys, config } = ctx;
  const { reader } = parts;
  ctx.redis
    .presenceMaintainBuffer(
      keys.stream,
      keys.state,
      keys.seen,
      config.podId,
      config.groupGcIdleMs,
      config.expiryMs,
    )
    .then(([ownGroup, groupLag, , candidates]) => {
      parts.setLag(Math.max(0, Number(groupLag)));
      if (Number(ownGroup) === 0) reader.wake(); // recreates it (NOGROUP path)
      parts.expire(candidates);
    })
    .catch((err: unknown) => ctx.onError(err, `maintain ${keys.stream}`));
  if (ctx.clock.now() - reader.lastReadAt >= slowSweepMs) reader.wake();
}
