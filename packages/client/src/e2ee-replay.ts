// Replay protection for sealed values (docs/E2EE.md#replay): per sender (connectionId) and
// field, the (epoch, counter) of the last accepted envelope. A value is accepted only when it
// is newer, or when it is the very envelope accepted last and the field was not deleted since
// (a reconnect, a resync or a view re-entering the sender re-delivers current values).
//
// A counter is taken once per sealing, so an equal (epoch, counter) that decrypts is the same
// value: no envelope text needs to be compared for safety, only for the decryption cache.
//
// Each accepted value also remembers the version (epoch, clock) of the entry that carried it.
// A delete or a full state only counts when it is newer than that: a stale entry (a duplicate or
// a reordered one, which the replica drops anyway, PROTOCOL.md §5) must not kill a current value.
import { compareVersions, type Json, type Version } from "@collabblocks/protocol";

/** Senders whose counters are kept; beyond it the least recently seen is forgotten (see docs/E2EE.md#limits). */
export const MAX_TRACKED_SENDERS = 50_000;

interface Accepted {
  epoch: number;
  counter: number;
  /** False once the field was deleted or absent from a full state after this value. */
  live: boolean;
  /** Version of the entry that carried it. */
  at: Version;
  /** The accepted envelope and its value, while the sender is in view: re-deliveries skip decryption. */
  envelope: string | undefined;
  value: Json | undefined;
}

export interface SeenEnvelope {
  readonly epoch: number;
  readonly counter: number;
  readonly text: string;
}

export type ReplayVerdict = "newer" | "current" | "replayed";

export interface ReplayGuard {
  /** Whether an envelope (epoch, counter) may be applied for this sender and field. */
  verdict(connectionId: string, field: string, epoch: number, counter: number): ReplayVerdict;
  accept(cid: string, field: string, envelope: SeenEnvelope, value: Json, at: Version): void;
  /** The version of the entry that carried the value accepted last, if any. */
  acceptedAt(connectionId: string, field: string): Version | undefined;
  /** The value of this exact envelope if it is the one accepted last and still live. */
  cached(connectionId: string, field: string, envelope: string): Json | undefined;
  /** The sender deleted these fields (an update's `del`, at version `at`). */
  deleted(connectionId: string, fields: Iterable<string>, at: Version): void;
  /** A full state of the sender (at version `at`) holds only these sealed fields: the others were deleted. */
  fullState(connectionId: string, present: ReadonlySet<string>, at: Version): void;
  /** The sender left or went out of view: keep its counters, drop its cached values. */
  forgetValues(connectionId: string): void;
}

export function createReplayGuard(maxSenders = MAX_TRACKED_SENDERS): ReplayGuard {
  const senders = new Map<string, Map<string, Accepted>>();

  function fieldsOf(cid: string, create: boolean): Map<string, Accepted> | undefined {
    let fields = senders.get(cid);
    if (fields !== undefined) {
      senders.delete(cid); // re-insert: Map order is then least recently seen first
      senders.set(cid, fields);
    } else if (create) {
      fields = new Map();
      senders.set(cid, fields);
      if (senders.size > maxSenders) senders.delete(senders.keys().next().value as string);
    }
    return fields;
  }

  return {
    verdict(cid, field, epoch, counter) {
      const last = senders.get(cid)?.get(field);
      if (last === undefined) return "newer";
      const order = epoch !== last.epoch ? epoch - last.epoch : counter - last.counter;
      if (order > 0) return "newer";
      return order === 0 && last.live ? "current" : "replayed";
    },
    accept(cid, field, envelope, value, at) {
      const { epoch, counter, text } = envelope;
      fieldsOf(cid, true)?.set(field, { epoch, counter, live: true, at, envelope: text, value });
    },
    acceptedAt(cid, field) {
      return senders.get(cid)?.get(field)?.at;
    },
    cached(cid, field, envelope) {
      const last = senders.get(cid)?.get(field);
      return last?.live && last.envelope === envelope ? last.value : undefined;
    },
    deleted(cid, fields, at) {
      const known = fieldsOf(cid, false);
      if (known === undefined) return;
      for (const field of fields) {
        const last = known.get(field);
        if (last !== undefined && compareVersions(at, last.at) > 0) last.live = false;
      }
    },
    fullState(cid, present, at) {
      const known = fieldsOf(cid, false);
      if (known === undefined) return;
      for (const [field, last] of known) {
        if (!present.has(field) && compareVersions(at, last.at) > 0) last.live = false;
      }
    },
    forgetValues(cid) {
      for (const last of senders.get(cid)?.values() ?? []) {
        last.envelope = undefined;
        last.value = undefined;
      }
    },
  };
}
