// Other pods' entries of one room, on their way to the pod: lifts expiries to the
// newest version known, keeps own live connections alive (an `expired` leave read
// for one is not delivered: it is re-asserted instead), and holds back updates that
// reveal a gap, which gap-repair.ts settles from the state hash.
import type { BatchEntry, PeerState } from "@collabblocks/protocol";
import { createGapRepair } from "./gap-repair.js";
import { isStopped, REDIS_ORIGIN, type RoomSyncContext } from "./room-sync-context.js";

export interface RoomDelivery {
  /** Delivers what it can; false when an entry revealed a gap (it is delivered again after the repair). */
  deliver(entries: readonly BatchEntry[], origin: string): boolean;
  stop(): void;
}

/** True when `known` is at least as new as `p` (an entry that brings nothing). */
const holds = (known: { epoch: number; clock: number } | undefined, p: PeerState): boolean =>
  known !== undefined && (known.epoch > p.epoch || (known.epoch === p.epoch && known.clock >= p.clock));

export function createRoomDelivery(
  ctx: RoomSyncContext,
  reassert: (connectionIds: Iterable<string>) => void,
): RoomDelivery {
  const { versions, own, handler } = ctx;
  const repair = createGapRepair({
    fetch: (cids) => ctx.redis.hmgetBuffer(ctx.keys.state, ...cids),
    deliver(peers) {
      const fresher: BatchEntry[] = [];
      for (const p of peers) {
        if (holds(versions.get(p.connectionId), p)) continue;
        versions.observePeer(p);
        fresher.push({ kind: "enter", ...p });
      }
      if (fresher.length > 0 && !isStopped(ctx)) handler(fresher, REDIS_ORIGIN);
    },
    onError: ctx.onError,
    clock: ctx.clock,
  });

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

  return { deliver, stop: () => repair.stop() };
}
