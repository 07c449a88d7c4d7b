// Turns peers' sealed states (the presence key "~", PROTOCOL.md §2) into fields, in every
// message a room receives, before the replica (others-store.ts) sees them. Versions (epoch,
// clock) are untouched, so PROTOCOL.md §5's rules (gaps, resyncs, floors) work as without
// encryption. What a sealed state holds is decided by a `SealedOpener`: the e2ee entry's
// decrypts (e2ee-open.ts); `lockedOpener` — for rooms without encryption, in the core bundle —
// reads the clear header only and shows each sealed field as `Locked` (locked.ts).
//
// A sealed state is the sender's whole sealed part (docs/E2EE.md#how-a-state-is-sealed): a new
// one replaces the last, so an update deletes the sealed fields the last one had and this one
// lacks. That needs the last one's field list per sender, kept here, updated only by entries
// newer than the one it came from (stale deliveries are dropped by the replica anyway).
import {
  type BatchMessage,
  byteStringToBytes,
  type ClientBatchEntry,
  compareVersions,
  isByteString,
  type Json,
  MessageType,
  type OccupancyMessage,
  type PresenceData,
  SEALED_KEY,
  type SnapshotChunkMessage,
  type SnapshotDoneMessage,
  setOwn,
  type UpdateEntry,
  type Version,
} from "@collabblocks/protocol";
import { createLocked } from "./locked.js";
import { type ParsedSealed, readHeader } from "./sealed-header.js";

/** What a room receives after the join: what opening applies to (others pass through). */
export type Inbound = BatchMessage | SnapshotChunkMessage | SnapshotDoneMessage | OccupancyMessage;

/** Senders whose sealed field lists (and, with encryption, replay counters) are kept; least recently seen go first. */
export const MAX_TRACKED_SENDERS = 50_000;

export interface SealedOpener {
  /** True when clear values are checked too (refusesClear): every message is then rewritten. */
  readonly checksClear: boolean;
  /**
   * The fields of a peer's sealed state carried by an entry at `at` (values, or `Locked`), or
   * null when refused: the peer's sealed fields are then absent. The opener reports refusals.
   */
  open(cid: string, header: ParsedSealed | null, sealed: string, at: Version): PresenceData | null;
  /** Refuses (and reports) a clear value under a field this room seals. */
  refusesClear(cid: string, key: string): boolean;
  /** The peer's entry at `at` removes its sealed state (a del of "~", or a full state without it). */
  removed(cid: string, at: Version): void;
  /** The peer left or went out of view. */
  forget(cid: string): void;
}

/** The sealed state's bytes as a byte string, with its header; header null when unreadable. */
export function parseSealed(value: Json | undefined): { header: ParsedSealed | null; text: string } | null {
  if (value === undefined) return null;
  if (!isByteString(value)) return { header: null, text: "" };
  return { header: readHeader(byteStringToBytes(value)), text: value };
}

/** For rooms without encryption: every sealed field shows as Locked; nothing is reported. */
export const lockedOpener: SealedOpener = {
  open(_cid, header) {
    if (header === null) return null;
    const out: Record<string, Json> = {};
    const locked = createLocked(header.keyId) as unknown as Json;
    for (const field of header.fields) setOwn(out, field, locked);
    return out;
  },
  checksClear: false,
  refusesClear: () => false,
  removed() {},
  forget() {},
};

interface Tracked {
  readonly at: Version;
  readonly fields: readonly string[];
}

export interface SealedInbound {
  /** `msg` with every peer's sealed state turned into fields (own entries pass through). */
  rewrite<M extends Inbound>(msg: M): M;
}

export function createSealedInbound(opener: SealedOpener, selfId: () => string): SealedInbound {
  const tracked = new Map<string, Tracked>();

  function track(cid: string, at: Version, fields: readonly string[]): void {
    const last = tracked.get(cid);
    if (last !== undefined && compareVersions(at, last.at) <= 0) return;
    tracked.delete(cid); // re-insert: Map order is least recently seen first
    tracked.set(cid, { at, fields });
    if (tracked.size > MAX_TRACKED_SENDERS) tracked.delete(tracked.keys().next().value as string);
  }

  function openSealed(cid: string, value: Json | undefined, at: Version): PresenceData | null {
    const parsed = parseSealed(value);
    if (parsed === null) {
      opener.removed(cid, at);
      return null;
    }
    return opener.open(cid, parsed.header, parsed.text, at);
  }

  function openState(cid: string, at: Version, state: PresenceData): PresenceData {
    const out: Record<string, Json> = {};
    for (const key of Object.keys(state)) {
      if (key !== SEALED_KEY && !opener.refusesClear(cid, key)) setOwn(out, key, state[key]);
    }
    const fields = openSealed(cid, state[SEALED_KEY], at) ?? {};
    for (const field of Object.keys(fields)) setOwn(out, field, fields[field]);
    track(cid, at, Object.keys(fields));
    return out;
  }

  function openUpdate(entry: UpdateEntry): UpdateEntry {
    const cid = entry.connectionId;
    const at = { epoch: entry.epoch, clock: entry.clock };
    const previous = tracked.get(cid)?.fields ?? [];
    const set: Record<string, Json> = {};
    const del = new Set<string>();
    for (const key of entry.del) {
      if (key !== SEALED_KEY) del.add(key);
      else for (const field of previous) del.add(field);
    }
    if (entry.del.includes(SEALED_KEY)) opener.removed(cid, at);
    for (const key of Object.keys(entry.set)) {
      if (key === SEALED_KEY) continue;
      if (opener.refusesClear(cid, key)) del.add(key);
      else setOwn(set, key, entry.set[key]);
    }
    if (Object.hasOwn(entry.set, SEALED_KEY)) {
      const fields = openSealed(cid, entry.set[SEALED_KEY], at) ?? {};
      for (const field of previous) if (!Object.hasOwn(set, field)) del.add(field);
      for (const field of Object.keys(fields)) setOwn(set, field, fields[field]);
      track(cid, at, Object.keys(fields));
    } else if (entry.del.includes(SEALED_KEY)) {
      track(cid, at, []);
    }
    for (const key of Object.keys(set)) del.delete(key);
    return { ...entry, set, del: [...del] };
  }

  function rewriteEntry(entry: ClientBatchEntry, self: string): ClientBatchEntry {
    if (entry.connectionId === self) return entry; // own entries stay sealed: the room compares wire states
    switch (entry.kind) {
      case "enter":
        return { ...entry, state: openState(entry.connectionId, entry, entry.state) };
      case "update":
        return openUpdate(entry);
      default:
        opener.forget(entry.connectionId);
        tracked.delete(entry.connectionId);
        return entry;
    }
  }

  /** Whether `msg` can hold anything to rewrite: rooms that never see "~" skip the copying. */
  function concerns(msg: Inbound): boolean {
    if (opener.checksClear || tracked.size > 0) return true;
    if (msg.type === MessageType.SNAPSHOT_CHUNK)
      return msg.entries.some((p) => Object.hasOwn(p.state, SEALED_KEY));
    if (msg.type !== MessageType.BATCH) return false;
    return msg.entries.some(
      (e) =>
        (e.kind === "enter" && Object.hasOwn(e.state, SEALED_KEY)) ||
        (e.kind === "update" && (Object.hasOwn(e.set, SEALED_KEY) || e.del.includes(SEALED_KEY))),
    );
  }

  return {
    rewrite(msg) {
      if (!concerns(msg)) return msg;
      const self = selfId();
      if (msg.type === MessageType.BATCH) {
        return { ...msg, entries: msg.entries.map((entry) => rewriteEntry(entry, self)) };
      }
      if (msg.type === MessageType.SNAPSHOT_CHUNK) {
        const entries = msg.entries.map((peer) =>
          peer.connectionId === self
            ? peer
            : { ...peer, state: openState(peer.connectionId, peer, peer.state) },
        );
        return { ...msg, entries };
      }
      return msg;
    },
  };
}
