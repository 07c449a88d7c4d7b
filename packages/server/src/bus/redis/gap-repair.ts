// Repairs gaps in what a pod read from a room stream. An update whose base is
// beyond the version this pod holds means entries were lost before it read them:
// written to a master that failed over before replicating, trimmed by MAXLEN
// while this pod lagged, flushed away, or cut off by a partition. The missing
// entries cannot be read again, but the owner flushes its connections' full state
// to the state hash every second, so a little later the hash holds a version at
// least as new as the gap: this fetches it (one HMGET for all pending connections
// of the room) and hands it over as an `enter`. Later updates then apply again.
// The rejected alternative — asking the owning pod to re-publish — needs a
// request channel between pods and still waits for that pod.
import type { PeerState, Version } from "@collabblocks/protocol";
import { type Clock, systemClock, type TimerHandle } from "../../ops/clock.js";
import { decodeStoredPeer } from "./stream-codec.js";

/** Wait before fetching, ms: just over the owner's 1 s state flush. */
export const GAP_REPAIR_DELAY_MS = 1200;
/** Fetches per connection before giving up (its next enter or expiry will settle it). */
export const GAP_REPAIR_ATTEMPTS = 3;

export interface GapRepairOptions {
  /** HMGET of the state hash: one value (or null) per connection id. */
  readonly fetch: (connectionIds: readonly string[]) => Promise<(Buffer | null)[]>;
  /** The stored states found (newer ones are applied as enters). */
  readonly deliver: (peers: readonly PeerState[]) => void;
  readonly onError: (err: unknown, context: string) => void;
  /** Timers of the repair delay (default the system clock). */
  readonly clock?: Clock;
  readonly delayMs?: number;
  readonly attempts?: number;
}

export interface GapRepair {
  /** Connection `connectionId` needs at least version `need`. */
  request(connectionId: string, need: Version): void;
  /** Connections waiting for a repair. */
  readonly pending: number;
  stop(): void;
}

interface Pending {
  need: Version;
  tries: number;
}

export function createGapRepair(options: GapRepairOptions): GapRepair {
  const delayMs = options.delayMs ?? GAP_REPAIR_DELAY_MS;
  const attempts = options.attempts ?? GAP_REPAIR_ATTEMPTS;
  const pending = new Map<string, Pending>();
  const clock = options.clock ?? systemClock;
  let timer: TimerHandle | undefined;
  let stopped = false;

  const schedule = (): void => {
    if (timer !== undefined || stopped || pending.size === 0) return;
    timer = clock.setTimeout(run, delayMs);
  };

  const run = async (): Promise<void> => {
    timer = undefined;
    const ids = [...pending.keys()];
    try {
      const values = await options.fetch(ids);
      const found: PeerState[] = [];
      ids.forEach((cid, i) => {
        const p = pending.get(cid);
        const value = values[i];
        if (!p) return;
        p.tries++;
        if (value && value.length > 0) {
          const peer = decodeStoredPeer(value);
          found.push(peer);
          const enough =
            peer.epoch > p.need.epoch || (peer.epoch === p.need.epoch && peer.clock >= p.need.clock);
          if (enough) pending.delete(cid);
        }
        if (p.tries >= attempts) pending.delete(cid);
      });
      if (found.length > 0 && !stopped) options.deliver(found);
    } catch (err) {
      options.onError(err, "gap repair");
      for (const [cid, p] of pending) if (++p.tries >= attempts) pending.delete(cid);
    }
    schedule();
  };

  return {
    request(cid, need) {
      const p = pending.get(cid);
      if (p) {
        if (need.epoch > p.need.epoch || (need.epoch === p.need.epoch && need.clock > p.need.clock))
          p.need = need;
      } else pending.set(cid, { need, tries: 0 });
      schedule();
    },
    get pending() {
      return pending.size;
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      pending.clear();
    },
  };
}
