// A flush's entries to the room's members (docs/ARCHITECTURE.md#the-edge,
// PROTOCOL.md §8). Members that see everyone share one frame, encoded once and
// written to every socket; filtered members get their own selection, each entry
// encoded once per flush and members with the same selection sharing a frame. A
// socket that is behind is skipped (slow-members.ts): it coalesces a private
// backlog, or, when filtered, is owed a snapshot of its view once drained.
// The shared frame is the hot path: nothing is allocated per member there.
// "Once" is once per protocol revision a member reads: revision-3 members get
// entries with aliases (entry-aliases.ts, PROTOCOL.md §4), the others revision 2's.
import { type BatchEntry, batchFrameFromEntries, type ClientBatchEntry } from "@collabblocks/protocol";
import { enqueueEntry } from "../limits/coalesce.js";
import type { ServerStats } from "../ops/metrics.js";
import { entryOf } from "../views/map-entry.js";
import type { RoomViews } from "../views/room-views.js";
import { type BatchFrames, type EntryAliases, entryForm } from "./entry-aliases.js";
import { type RoomMember, sendToMember } from "./room-member.js";
import type { SlowMembers } from "./slow-members.js";
import { type Framed, keepsUp, preframe, writeFramed } from "./socket-writes.js";

export interface RoomFanoutOptions<M extends RoomMember> {
  readonly members: ReadonlyMap<string, M>;
  readonly views: RoomViews;
  readonly slow: SlowMembers<M>;
  readonly stats: ServerStats;
  /** The OCCUPANCY a filtered member is owed, to ride in its batch's write (occupancy-notifier.ts). */
  readonly rider: (member: M) => Framed | undefined;
  /** Encodes entries for each member's revision (revision 3: aliases, PROTOCOL.md §4). */
  readonly aliases: EntryAliases;
}

export interface RoomFanout {
  /** One frame, encoded once, to every member that sees everyone. */
  shared(entries: BatchEntry[]): void;
  /** Shared passes so far (RoomMember.snapshotPass). */
  readonly passes: number;
  /** Filtered members' own batches (views.route's output). */
  filtered(routed: ReadonlyMap<string, ClientBatchEntry[]>): void;
}

export function createRoomFanout<M extends RoomMember>(options: RoomFanoutOptions<M>): RoomFanout {
  const { members, views, slow, stats, aliases } = options;
  let passes = 0;

  function* everyoneMembers(cids: ReadonlySet<string>): Generator<M> {
    for (const cid of cids) {
      const m = members.get(cid);
      if (m !== undefined) yield m;
    }
  }

  return {
    shared(entries) {
      const everyone = views.everyone();
      if (everyone.size === 0) return;
      const frames = aliases.batchFrames(entries);
      // A leave here may be of a connection that was gone when a member's snapshot was taken
      // since the last pass: that member was never told its alias (PROTOCOL.md §4), so its
      // frame names leaves by id.
      const leaves = entries.some((e) => e.kind === "leave");
      let byId: BatchFrames | undefined;
      let sent = 0;
      let bytes = 0;
      // Mostly everyone: walk the members directly; with no filtered member at all (small
      // rooms without views) nothing is looked up per socket (the S3 slice's profile had 2 %
      // of the edge in that lookup).
      const walkAll = everyone.size >= members.size;
      const checkEach = walkAll && !views.allEveryone();
      const targets = walkAll ? members.values() : everyoneMembers(everyone);
      for (const m of targets) {
        if (checkEach && !views.isEveryone(m.connectionId)) continue;
        if (m.lag === undefined && !keepsUp(m.ws)) slow.skip(m);
        if (m.lag !== undefined) {
          if (m.snapshotDue === undefined) for (const e of entries) enqueueEntry(m.lag, e);
          continue;
        }
        let frame: Framed;
        if (leaves && m.snapshotPass === passes) {
          byId ??= aliases.batchFrames(entries, true);
          frame = byId.frameFor(m.rev);
        } else frame = frames.frameFor(m.rev);
        writeFramed(m.ws, frame, undefined, m);
        sent++;
        bytes += frame.payload.length;
      }
      stats.framesOut += sent;
      stats.bytesOut += bytes;
      stats.updatesOut += sent * entries.length;
      passes++;
    },
    get passes() {
      return passes;
    },
    filtered: (routed) => writeFiltered(options, routed),
  };
}

/** An entry's bytes in one entry form, numbered in the order they were first encoded. */
interface EncodedEntry {
  readonly index: number;
  readonly data: Uint8Array;
}

/** A frame assembled in this flush, for the members whose entries are these same objects, in order. */
interface SharedFrame {
  readonly kind: number;
  readonly entries: readonly ClientBatchEntry[];
  readonly frame: Framed;
}

const newBucket = (): SharedFrame[] => [];

const sameEntries = (a: readonly ClientBatchEntry[], b: readonly ClientBatchEntry[]): boolean =>
  a.length === b.length && a.every((e, i) => e === b[i]);

/**
 * Each entry is encoded once per flush, and members with the same selection share
 * one assembled frame. Frames are found by a hash of the entries' numbers, checked
 * entry by entry: a string key per member (its entries' numbers joined) was a third
 * of this loop in L1's steady state. A member that is behind is not queued for: it
 * is owed a snapshot of its view, which replaces any backlog.
 */
function writeFiltered<M extends RoomMember>(
  options: RoomFanoutOptions<M>,
  routed: ReadonlyMap<string, ClientBatchEntry[]>,
): void {
  const { members, slow, stats, aliases } = options;
  // Per entry form (entry-aliases.ts entryForm), each entry encoded once; a form's map is made
  // when a member of it first needs one (a flush usually serves one form).
  const encoded: Map<ClientBatchEntry, EncodedEntry>[] = [];
  const frames = new Map<number, SharedFrame[]>();
  for (const [cid, entries] of routed) {
    const m = members.get(cid);
    if (m === undefined) continue;
    if (m.lag === undefined && !keepsUp(m.ws)) slow.skip(m);
    if (m.lag !== undefined) {
      m.snapshotDue ??= 0;
      continue;
    }
    const kind = entryForm(m.rev);
    encoded[kind] ??= new Map();
    const bytes = encoded[kind];
    let hash = kind + 1;
    for (const e of entries) {
      let b = bytes.get(e);
      if (b === undefined) {
        b = { index: bytes.size, data: aliases.entryBytes(e, m.rev) };
        bytes.set(e, b);
      }
      hash = (Math.imul(hash, 31) + b.index + 1) | 0;
    }
    const bucket = entryOf(frames, hash, newBucket);
    let frame = bucket.find((f) => f.kind === kind && sameEntries(f.entries, entries))?.frame;
    if (frame === undefined) {
      frame = preframe(batchFrameFromEntries(entries.map((e) => (bytes.get(e) as EncodedEntry).data)));
      bucket.push({ kind, entries, frame });
    }
    sendToMember(stats, m, frame, entries.length, options.rider(m));
  }
}
