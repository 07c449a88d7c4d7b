// A room's join on the Redis bus: creates this pod's group (a new one starts
// joinLookbackMs back, so entries newer than the last state flush replay) and
// loads the persisted state, leaving out connections not refreshed for the expiry
// period (a sweeper is about to remove them). The phase moves unjoined → joining →
// joined, or back to unjoined when Redis does not answer (the next tick retries);
// a join that finishes after stop() revives nothing (room-sync-phase.ts).
import type { PeerState } from "@collabblocks/protocol";
import type { RoomSyncContext } from "./room-sync-context.js";
import { JOINING, joinedPhase, moveTo, UNJOINED } from "./room-sync-phase.js";
import { decodeStoredPeer } from "./stream-codec.js";

/** The live peers of a join reply: [redis now, state hash flat list, last-seen flat list]. */
export function liveStoredPeers(
  ctx: RoomSyncContext,
  now: number,
  hash: readonly Buffer[],
  seen: readonly Buffer[],
): PeerState[] {
  const seenAt = new Map<string, number>();
  for (let i = 0; i + 1 < seen.length; i += 2) seenAt.set(String(seen[i]), Number(String(seen[i + 1])));
  const peers: PeerState[] = [];
  const cutoff = now - ctx.config.expiryMs;
  for (let i = 0; i + 1 < hash.length; i += 2) {
    const cid = String(hash[i]);
    const at = seenAt.get(cid);
    // Not refreshed for the expiry period: a sweeper is about to remove it.
    if (at === undefined || at < cutoff) continue;
    try {
      const peer = decodeStoredPeer(hash[i + 1] as Buffer);
      ctx.versions.observePeer(peer);
      peers.push(peer);
    } catch (err) {
      ctx.onError(err, `bad state value in ${ctx.keys.state}`);
    }
  }
  return peers;
}

/** Joins the room ([] when not unjoined, or when Redis failed: retried by the next tick); `onJoined` starts reading. */
export async function joinRoom(ctx: RoomSyncContext, onJoined: () => void): Promise<readonly PeerState[]> {
  if (ctx.phase.kind !== "unjoined") return []; // joining or joined already, or stopped
  ctx.phase = moveTo(ctx.phase, JOINING);
  const { keys, config } = ctx;
  try {
    const [now, hash, seen] = await ctx.redis.presenceJoinBuffer(
      keys.stream,
      keys.state,
      keys.seen,
      config.podId,
      config.joinLookbackMs,
      config.keyTtlMs,
    );
    const peers = liveStoredPeers(ctx, Number(now), hash, seen);
    if (ctx.phase.kind !== "joining") return []; // stopped meanwhile: a late result revives nothing
    ctx.phase = moveTo(ctx.phase, joinedPhase(false));
    onJoined();
    return peers;
  } catch (err) {
    ctx.onError(err, `join ${keys.stream}`);
    if (ctx.phase.kind === "joining") ctx.phase = moveTo(ctx.phase, UNJOINED); // the next tick retries
    return [];
  }
}
