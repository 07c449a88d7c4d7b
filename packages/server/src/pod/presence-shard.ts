// One room as the pod holds it (docs/SCALING.md#pod-and-redis-the-rules): the authoritative replica, which edge
// sessions are attached, and which session owns each live connection (so that a
// session that dies takes its connections with it).
import { PresenceReplica } from "@collabblocks/protocol";

/** An attached edge, as the pod sees it. */
export interface ShardSession {
  readonly edgeId: string;
}

export interface PresenceShard {
  readonly roomId: string;
  readonly replica: PresenceReplica;
  readonly sessions: Set<ShardSession>;
  /** connectionId → the session whose edge holds its socket. */
  readonly owners: Map<string, ShardSession>;
  /** Resolves once the bus's persisted state has been merged (at once without a bus). */
  ready: Promise<void>;
  /** Wall-clock ms of the last state persistence (the Redis bus flushes about once a second). */
  lastFlushed: number;
}

export function createPresenceShard(roomId: string): PresenceShard {
  return {
    roomId,
    replica: new PresenceReplica(),
    sessions: new Set(),
    owners: new Map(),
    ready: Promise.resolve(),
    lastFlushed: 0,
  };
}

/** A room with attached edges or owned connections must stay in memory. */
export function isShardLive(shard: PresenceShard): boolean {
  return shard.sessions.size > 0 || shard.owners.size > 0;
}
