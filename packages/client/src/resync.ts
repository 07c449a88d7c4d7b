// Gap → SYNC_REQUEST, rate-limited, and collection of snapshot chunks.
//
// A gap (an update whose base is above what we hold, or for an epoch we never saw
// enter) means frames were lost or reordered; a full snapshot repairs every
// connection at once. At most one request is in flight, requests are spaced by
// SYNC_MIN_INTERVAL_MS, and gaps seen meanwhile fold into the next request.
import type { PeerState } from "@collabblocks/protocol";
import { createTimerSlot, type Timers } from "./timers.js";

/** Minimum spacing of SYNC_REQUESTs, ms: servers rate-limit them too (docs/ARCHITECTURE.md#the-grpc-link-protopresenceproto-rpc). */
export const SYNC_MIN_INTERVAL_MS = 1000;
/** A request unanswered this long is considered lost, ms. */
export const SYNC_TIMEOUT_MS = 5000;

export interface Resync {
  /** Something is missing: ask for a snapshot (now, or as soon as allowed). */
  request(): void;
  /** Chunk of a snapshot (any syncId). */
  chunk(syncId: number, entries: readonly PeerState[]): void;
  /**
   * End of a snapshot. Returns its entries when it is one we should apply (ours, or
   * server-initiated syncId 0) and complete; undefined otherwise (a new request is made
   * if it was ours but incomplete).
   */
  done(syncId: number, total: number): PeerState[] | undefined;
  /** Connection lost: forget requests and partial snapshots (the join snapshot replaces them). */
  reset(): void;
  dispose(): void;
}

export function createResync(timers: Timers, send: (syncId: number) => boolean): Resync {
  const slot = createTimerSlot(timers);
  const chunks = new Map<number, PeerState[]>();
  let nextSyncId = 1;
  let inFlight: number | null = null;
  let wanted = false;
  let lastRequestAt = Number.NEGATIVE_INFINITY;

  function trySend(): void {
    if (!wanted || inFlight !== null) return;
    const now = timers.now();
    const wait = lastRequestAt + SYNC_MIN_INTERVAL_MS - now;
    if (wait > 0) {
      if (!slot.active) slot.start(wait, trySend);
      return;
    }
    const syncId = nextSyncId++;
    if (!send(syncId)) return; // not connected: the join snapshot will resync anyway
    wanted = false;
    inFlight = syncId;
    lastRequestAt = now;
    slot.start(SYNC_TIMEOUT_MS, () => {
      if (inFlight !== syncId) return;
      chunks.delete(syncId);
      inFlight = null;
      wanted = true;
      trySend();
    });
  }

  return {
    request() {
      wanted = true;
      trySend();
    },
    chunk(syncId, entries) {
      let list = chunks.get(syncId);
      if (list === undefined) {
        list = [];
        chunks.set(syncId, list);
      }
      for (const e of entries) list.push(e);
    },
    done(syncId, total) {
      const list = chunks.get(syncId) ?? [];
      chunks.delete(syncId);
      const ours = syncId !== 0 && syncId === inFlight;
      if (ours) {
        inFlight = null;
        slot.clear();
      }
      if (syncId !== 0 && !ours) return undefined; // late answer to a request we gave up on
      if (list.length !== total) {
        wanted = true;
        trySend();
        return undefined;
      }
      trySend(); // gaps seen while this one was in flight
      return list;
    },
    reset() {
      chunks.clear();
      inFlight = null;
      wanted = false;
      slot.clear();
    },
    dispose() {
      this.reset();
    },
  };
}
