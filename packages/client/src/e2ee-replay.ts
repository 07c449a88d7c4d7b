// Replay protection for sealed states (docs/E2EE.md#replay): per sender (connectionId), the
// (epoch, counter) of the last accepted sealed state. One is accepted only when it is newer, or
// when it is the very one accepted last and the sender did not remove its sealed state since
// (a reconnect, a resync or a view re-entering the sender re-delivers current values).
//
// A counter is taken once per sealing, so an equal (epoch, counter) that decrypts is the same
// state: no bytes need to be compared for safety, only for the decryption cache.
//
// Each accepted state also remembers the version (epoch, clock) of the entry that carried it.
// A removal only counts when it is newer than that: a stale entry (a duplicate or a reordered
// one, which the replica drops anyway, PROTOCOL.md §5) must not kill a current value.
import { compareVersions, type PresenceData, type Version } from "@collabblocks/protocol";
import { MAX_TRACKED_SENDERS } from "./sealed-inbound.js";

interface Accepted {
  epoch: number;
  counter: number;
  /** False once the sender removed its sealed state after this one. */
  live: boolean;
  /** Version of the entry that carried it. */
  at: Version;
  /** The accepted bytes and their fields, while the sender is in view: re-deliveries skip decryption. */
  text: string | undefined;
  value: PresenceData | undefined;
}

export interface SeenSealed {
  readonly epoch: number;
  readonly counter: number;
  /** The sealed state as a byte string. */
  readonly text: string;
}

export type ReplayVerdict = "newer" | "current" | "replayed";

export interface ReplayGuard {
  /** Whether a sealed state (epoch, counter) of this sender may be applied. */
  verdict(connectionId: string, epoch: number, counter: number): ReplayVerdict;
  accept(connectionId: string, seen: SeenSealed, value: PresenceData, at: Version): void;
  /** The version of the entry that carried the state accepted last, if any. */
  acceptedAt(connectionId: string): Version | undefined;
  /** The fields of these exact bytes if they are the state accepted last and still live. */
  cached(connectionId: string, text: string): PresenceData | undefined;
  /** The sender's entry at `at` removed its sealed state (a del of "~", or a full state without it). */
  removed(connectionId: string, at: Version): void;
  /** The sender left or went out of view: keep its counter, drop the cached value. */
  forgetValues(connectionId: string): void;
}

export function createReplayGuard(maxSenders = MAX_TRACKED_SENDERS): ReplayGuard {
  const senders = new Map<string, Accepted>();

  return {
    verdict(cid, epoch, counter) {
      const last = senders.get(cid);
      if (last === undefined) return "newer";
      const order = epoch !== last.epoch ? epoch - last.epoch : counter - last.counter;
      if (order > 0) return "newer";
      return order === 0 && last.live ? "current" : "replayed";
    },
    accept(cid, seen, value, at) {
      senders.delete(cid); // re-insert: Map order is then least recently seen first
      senders.set(cid, { epoch: seen.epoch, counter: seen.counter, live: true, at, text: seen.text, value });
      if (senders.size > maxSenders) senders.delete(senders.keys().next().value as string);
    },
    acceptedAt(cid) {
      return senders.get(cid)?.at;
    },
    cached(cid, text) {
      const last = senders.get(cid);
      return last?.live && last.text === text ? last.value : undefined;
    },
    removed(cid, at) {
      const last = senders.get(cid);
      if (last !== undefined && compareVersions(at, last.at) > 0) last.live = false;
    },
    forgetValues(cid) {
      const last = senders.get(cid);
      if (last === undefined) return;
      last.text = undefined;
      last.value = undefined;
    },
  };
}
