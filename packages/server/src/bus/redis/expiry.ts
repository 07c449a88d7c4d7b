// The sweeper's half that runs in the pod: turns stale candidates returned by the
// touch or maintain script ([connection id, stored state, …]) into `expired`
// leaves carrying the newest version this pod knows — the stored one or the
// tracked one, whichever is newer (see version-tracker.ts for why) — and has the
// EXPIRE script remove and announce each one that is still stale, atomically.
import type { BatchEntry } from "@collabblocks/protocol";
import { SWEEPER_ORIGIN } from "../bus.js";
import { type RoomSyncContext, streamWriteHead } from "./room-sync-context.js";
import { decodeStoredPeer, encodeStreamBatch, maxVersion } from "./stream-codec.js";

export { SWEEPER_ORIGIN };

/** What expiring needs of a room; own live connections (`own`) are never expired here (they are refreshed, or re-asserted). */
export type ExpiryContext = Pick<
  RoomSyncContext,
  "redis" | "keys" | "versions" | "own" | "config" | "clock" | "onError"
>;

export function expireCandidates(ctx: ExpiryContext, candidates: readonly Buffer[]): void {
  const args: (string | Buffer)[] = [];
  for (let i = 0; i + 1 < candidates.length; i += 2) {
    const cid = String(candidates[i]);
    if (ctx.own.has(cid)) continue;
    const stored = candidates[i + 1] as Buffer;
    let v = ctx.versions.get(cid);
    if (stored.length > 0) {
      try {
        v = maxVersion(v, decodeStoredPeer(stored));
      } catch (err) {
        ctx.onError(err, `bad state value in ${ctx.keys.state}`);
      }
    }
    // Epoch 0: no version known here; receivers expire what they hold (liftExpiry).
    const leave: BatchEntry = {
      kind: "leave",
      connectionId: cid,
      epoch: v?.epoch ?? 0,
      clock: v?.clock ?? 0,
      reason: "expired",
    };
    args.push(cid, encodeStreamBatch([leave]));
  }
  if (args.length === 0) return;
  const { keys, config } = ctx;
  ctx.redis
    .presenceExpire(...streamWriteHead(ctx), config.expiryMs, SWEEPER_ORIGIN, ctx.clock.now(), ...args)
    .catch((err: unknown) => ctx.onError(err, `expire ${keys.stream}`));
}
