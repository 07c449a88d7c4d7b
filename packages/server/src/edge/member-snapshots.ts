// Writing a member its snapshot (PROTOCOL.md §8, docs/SECURITY.md#amplification):
// its view of the room — the whole room, chunked once per change and shared, or
// the selection its view holds — charged to the member's snapshot byte budget.
// When a snapshot is written is slow-members.ts's decision (snapshots are owed,
// not queued); this part only says whether one may go now and writes it.
import type { PeerState, PresenceReplica } from "@collabblocks/protocol";
import { SNAPSHOT_BYTES } from "../limits/snapshot-budget.js";
import { spendTokens } from "../limits/token-bucket.js";
import type { ServerStats } from "../ops/metrics.js";
import type { RoomViews } from "../views/room-views.js";
import { type EntryAliases, readsAliases } from "./entry-aliases.js";
import { type RoomMember, sendToMember } from "./room-member.js";
import { createSnapshotCache, encodeSnapshotFrames } from "./snapshot-frames.js";
import { corked, keepsUp } from "./socket-writes.js";

export interface MemberSnapshotsOptions<M extends RoomMember> {
  readonly replica: PresenceReplica;
  /** Revision-3 members' peers carry aliases (entry-aliases.ts). */
  readonly aliases: EntryAliases;
  readonly views: RoomViews;
  readonly stats: ServerStats;
  /** Monotonic clock, ms (the byte budget refills with it). */
  readonly now: () => number;
  /** A member was just sent a snapshot (its occupancy follows at once). */
  readonly onSent: (member: M) => void;
}

export interface MemberSnapshots<M extends RoomMember> {
  /** The room changed: the shared whole-room snapshot is assembled again at the next write. */
  invalidate(): void;
  /** May the member be written a snapshot now (its socket keeps up and its budget is not spent)? */
  mayWrite(member: M): boolean;
  /** Writes the member its snapshot with `syncId` now, clearing what it was owed. */
  write(member: M, syncId: number): void;
}

export function createMemberSnapshots<M extends RoomMember>(
  options: MemberSnapshotsOptions<M>,
): MemberSnapshots<M> {
  const { replica, aliases, views, stats, now } = options;
  // One whole-room cache per encoding: revision 3's peers carry aliases.
  const whole = createSnapshotCache(() => replica.snapshot());
  const wholeRev3 = createSnapshotCache(() => replica.snapshot(), undefined, aliases.peerBytes);
  return {
    invalidate() {
      whole.invalidate();
      wholeRev3.invalidate();
    },
    mayWrite: (member) => keepsUp(member.ws) && spendTokens(member.snapshotBytes, SNAPSHOT_BYTES, now(), 0),
    write(member, syncId) {
      member.snapshotDue = undefined;
      const held = views.snapshotFor(member.connectionId);
      const rev3 = readsAliases(member.rev);
      const { frames, chunks, bytes } =
        held === "everyone"
          ? (rev3 ? wholeRev3 : whole).frames(syncId)
          : encodeSnapshotFrames(
              held.map((cid) => replica.get(cid)).filter((p): p is PeerState => p !== undefined),
              syncId,
              undefined,
              rev3 ? aliases.peerBytes : undefined,
            );
      spendTokens(member.snapshotBytes, SNAPSHOT_BYTES, now(), bytes);
      // The chunks, SNAPSHOT_DONE and the OCCUPANCY that follows leave in one syscall.
      corked(member.ws, () => {
        for (const frame of frames) sendToMember(stats, member, frame, 0);
        stats.snapshotChunks += chunks;
        options.onSent(member);
      });
    },
  };
}
