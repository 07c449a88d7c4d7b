// The pod↔pod bus (docs/SCALING.md#pod-and-redis-the-rules): how pods serving the same room share it. The pod
// only sees this interface; the memory bus (memory-bus.ts) backs tests and lets
// several pods share rooms inside one process, and the Redis bus (scaled mode)
// implements the same contract with streams, wake-ups and consumer groups.
//
// What a bus must provide:
//  1. publish: a room's entries written by this pod reach every other pod that
//     joined the room, in order per publishing pod, at least once (duplicates are
//     harmless: replicas drop entries that are not newer). Publishing never blocks
//     or fails the caller: the local path never waits on the bus (no unbounded
//     offline queue; a bus that is down drops and re-seeds later).
//  2. deliver: after join(room), other pods' entries for the room arrive through
//     the handler, never this pod's own. Live delivery must not wait on polling.
//  3. persistence: join resolves with the room's persisted state (what other pods
//     wrote), so a pod that starts serving a room — or rebuilds an LRU-evicted
//     one — begins from the room's current state.
//  5. events: publishEvent relays an EVENT or PEER_LOST (PROTOCOL.md §9) to the other
//     pods joined to the room, at most once and only live: never stored, never
//     replayed to a pod that joins later or catches up.
//  4. liveness: touch() refreshes the last-seen time of this pod's live
//     connections (pods call it about once a second); the bus sweeps entries not
//     refreshed for 3 s and delivers their `expired` leave to every joined pod,
//     so a crashed pod's connections disappear from every view within 5 s.
import type { BatchEntry, PeerState, RelayedMessage } from "@collabblocks/protocol";

/** Origin of the sweeper's `expired` leaves: every pod, the sweeping one included, receives them. */
export const SWEEPER_ORIGIN = "sweeper";

/** Receives other pods' entries for one room; `origin` is the publishing pod id (or "sweeper"). */
export type BusHandler = (entries: readonly BatchEntry[], origin: string) => void;

export interface PresenceBus {
  readonly podId: string;
  /**
   * Starts delivery of the room's entries (and, to `onEvent`, its broadcast events) from
   * other pods; resolves with its persisted state.
   */
  join(
    roomId: string,
    handler: BusHandler,
    onEvent?: (event: RelayedMessage) => void,
  ): Promise<readonly PeerState[]>;
  /** Stops delivery for the room (the pod evicted it). */
  leave(roomId: string): void;
  /** Shares entries of this pod's connections (already applied locally). */
  publish(roomId: string, entries: readonly BatchEntry[]): void;
  /** Relays a broadcast event of this pod's connections to the room's other pods (live only). */
  publishEvent(roomId: string, event: RelayedMessage): void;
  /** Refreshes last-seen of this pod's live connections in the room. */
  touch(roomId: string, connectionIds: readonly string[]): void;
  /** Largest consumer-group lag among this pod's groups, for `presence_redis_lag` (optional: memory bus has none). */
  lag?(): number;
  close(): Promise<void>;
}
