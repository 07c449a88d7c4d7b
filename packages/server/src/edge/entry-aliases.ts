// A room's entry aliases on this edge (PROTOCOL.md §4 "Revision 3: aliases and
// compact moves"), and the frames they are in. A revision-3 client is sent a
// short alias per connection (id and epoch) instead of the 22-character id: the
// alias is assigned when an enter entry or a snapshot peer first carries it to a
// revision-3 client, from a counter that only grows for the room's life, so an
// alias never names another connection — not after a leave, a new epoch, a hide
// or a resync. Aliases exist only between this edge and its clients: the pod, the
// link and the bus carry full ids. Revision 1 and 2 clients get revision-2 bytes.
// An alias is forgotten after the flush that carried its connection's leave, when
// the replica no longer holds that connection (a later entry for it then keeps
// the revision-2 shape), and by a sweep when the table outgrows the room.
// Revision-4 clients get the same entries, but their moves may be ratio moves
// (§4 "Revision 4"): three entry forms in all (entryForm).
import {
  ALIAS_REVISION,
  type AliasSource,
  type BatchEntry,
  batchFrameFromEntries,
  type ClientBatchEntry,
  createAliasAssigner,
  encode,
  encodeBatchEntry,
  encodeBatchEntryRev3,
  encodePeerRev3,
  MessageType,
  type PeerState,
  RATIO_REVISION,
} from "@collabblocks/protocol";
import { type Framed, preframe } from "./socket-writes.js";

/** What the table needs of the room's replica: which epoch of a connection it holds. */
export interface HeldConnections {
  get(connectionId: string): { readonly epoch: number } | undefined;
  readonly size: number;
}

/** One flush's BATCH frame per revision, encoded and framed when a member of that revision first needs it. */
export interface BatchFrames {
  frameFor(rev: number | undefined): Framed;
}

export interface EntryAliases extends AliasSource {
  /** The bytes of one entry for a member of revision `rev` (filtered members share them). */
  entryBytes(entry: ClientBatchEntry, rev: number | undefined): Uint8Array;
  /**
   * A BATCH frame of `entries` for a member of revision `rev`; with `leavesById`, leaves
   * name their connection by id (for a member whose snapshot may not have told it the alias).
   */
  batchFrame(entries: readonly ClientBatchEntry[], rev: number | undefined, leavesById?: boolean): Uint8Array;
  /** The frames of one flush, each revision's encoded once (`leavesById`: as batchFrame). */
  batchFrames(entries: readonly BatchEntry[], leavesById?: boolean): BatchFrames;
  /** A snapshot peer for a revision-3 member (cached while the PeerState object and its alias live). */
  peerBytes(peer: PeerState): Uint8Array;
  /** A flush is over: aliases of connections that left and are not held again are forgotten. */
  flushed(): void;
  /** Aliases held (tests, diagnostics). */
  readonly size: number;
}

/** Does a member of this revision read aliases? (Members without a revision read revision 1.) */
export function readsAliases(rev: number | undefined): boolean {
  return (rev ?? 1) >= ALIAS_REVISION;
}

/** Does a member of this revision read ratio moves? */
function readsRatios(rev: number | undefined): boolean {
  return (rev ?? 1) >= RATIO_REVISION;
}

/** Which entry form a member of this revision reads: 0 revision 1–2 bytes, 1 revision 3's aliases, 2 revision 4's ratio moves. */
export function entryForm(rev: number | undefined): number {
  return readsRatios(rev) ? 2 : readsAliases(rev) ? 1 : 0;
}

/** Slack over the replica's size before a sweep drops aliases of connections it no longer holds. */
const SWEEP_SLACK = 64;

export function createEntryAliases(held: HeldConnections): EntryAliases {
  const table = createAliasAssigner();
  const leaving = new Set<string>();
  // The epoch of each connection whose enter a batch has carried (with its alias) to revision-3 members.
  const inBatch = new Map<string, number>();
  const drop = (cid: string): void => {
    table.drop(cid);
    inBatch.delete(cid);
  };
  const peers = new WeakMap<PeerState, { readonly alias: number; readonly bytes: Uint8Array }>();
  const gone = (cid: string): boolean => held.get(cid)?.epoch !== table.epochOf(cid);

  const aliases: EntryAliases = {
    announce: table.announce,
    lookup: table.lookup,
    entryBytes(entry, rev) {
      if (!readsAliases(rev)) return encodeBatchEntry(entry);
      if (entry.kind === "enter") inBatch.set(entry.connectionId, entry.epoch);
      else if (entry.kind === "leave") {
        leaving.add(entry.connectionId);
        // Its enter never went out in a batch (it entered and left between two flushes, the two
        // coalesced): members that were not sent a snapshot since were never told the alias.
        if (inBatch.get(entry.connectionId) !== entry.epoch) return encodeBatchEntry(entry);
      }
      return encodeBatchEntryRev3(entry, table, readsRatios(rev));
    },
    batchFrame(entries, rev, leavesById = false) {
      return readsAliases(rev)
        ? batchFrameFromEntries(
            entries.map((e) =>
              leavesById && e.kind === "leave" ? encodeBatchEntry(e) : aliases.entryBytes(e, rev),
            ),
          )
        : encode({ type: MessageType.BATCH, entries });
    },
    batchFrames(entries, leavesById = false) {
      const frames: Framed[] = [];
      return {
        frameFor(rev) {
          const i = entryForm(rev);
          frames[i] ??= preframe(aliases.batchFrame(entries, rev, leavesById));
          return frames[i];
        },
      };
    },
    peerBytes(peer) {
      const alias = table.announce(peer.connectionId, peer.epoch);
      let cached = peers.get(peer);
      if (cached === undefined || cached.alias !== alias) {
        cached = { alias, bytes: encodePeerRev3(peer, alias) };
        peers.set(peer, cached);
      }
      return cached.bytes;
    },
    flushed() {
      for (const cid of leaving) if (gone(cid)) drop(cid);
      leaving.clear();
      if (table.size > 2 * held.size + SWEEP_SLACK)
        for (const cid of [...table.ids()]) if (gone(cid)) drop(cid);
    },
    get size() {
      return table.size;
    },
  };
  return aliases;
}
