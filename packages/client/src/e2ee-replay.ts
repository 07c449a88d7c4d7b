// Replay protection for sealed values (docs/E2EE.md#replay): per sender (connectionId) and
// field, the (epoch, counter) of the last accepted envelope. A value is accepted only when it
// is newer, or when it is the very envelope accepted last and the field was not deleted since
// (a reconnect, a resync or a view re-entering the sender re-delivers current values).
//
// A counter is taken once per sealing, so an equal (epoch, counter) that decrypts is the same
// value: no envelope text needs to be compared for safety, only for the decryption cache.
import type { Json } from "@collabblocks/protocol";

/** Senders whose counters are kept; beyond it the least recently seen is forgotten (see docs/E2EE.md#limits). */
export const MAX_TRACKED_SENDERS = 50_000;

interface Accepted {
  epoch: number;
  counter: number;
  /** False once the field was deleted or absent from a full state after this value. */
  live: boolean;
  /** The accepted envelope and its value, while the sender is in view: re-deliveries skip decryption. */
  envelope: string | undefined;
  value: Json | undefined;
}

export type ReplayVerdict = "newer" | "current" | "replayed";

export interface ReplayGuard {
  /** Whether an envelope (epoch, counter) may be applied for this sender and field. */
  verdict(connectionId: string, field: string, epoch: number, counter: number): ReplayVerdict;
  accept(
    connectionId: string,
    field: string,
    epoch: number,
    counter: number,
    envelope: string,
    value: Json,
  ): void;
  /** The value of this exact envelope if it is the one accepted last and still live. */
  cached(connectionId: string, field: string, envelope: string): Json | undefined;
  /** The sender deleted these fields (an update's `del`). */
  deleted(connectionId: string, fields: Iterable<string>): void;
  /** A full state of the sender holds only these sealed fields: the others were deleted. */
  fullState(connectionId: string, present: ReadonlySet<string>): void;
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
    accept(cid, field, epoch, counter, envelope, value) {
      fieldsOf(cid, true)?.set(field, { epoch, counter, live: true, envelope, value });
    },
    cached(cid, field, envelope) {
      const last = senders.get(cid)?.get(field);
      return last?.live && last.envelope === envelope ? last.value : undefined;
    },
    deleted(cid, fields) {
      const known = fieldsOf(cid, false);
      if (known === undefined) return;
      for (const field of fields) {
        const last = known.get(field);
        if (last !== undefined) last.live = false;
      }
    },
    fullState(cid, present) {
      const known = fieldsOf(cid, false);
      if (known === undefined) return;
      for (const [field, last] of known) if (!present.has(field)) last.live = false;
    },
    forgetValues(cid) {
      for (const last of senders.get(cid)?.values() ?? []) {
        last.envelope = undefined;
        last.value = undefined;
      }
    },
  };
}
