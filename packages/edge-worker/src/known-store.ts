// Who held each connectionId in this room, and its last epoch, in the object's
// storage (`known/{cid}`, docs/EDGE-WORKERS.md#hibernation): the Node edge's
// known-connections.ts for one room, kept across evictions so a connectionId stays
// bound to its user and a reconnect never reuses an epoch. Bounded by age, not
// count: an entry whose connection has not been live for the retention
// (KNOWN_CONNECTION_RETENTION_MS, KNOWN_RETENTION_MS in tests) is deleted by the
// object's alarm, so a room with churn does not grow its storage for ever.
import type { KnownConnection } from "@collabblocks/server/portable";
import type { DurableObjectStorage } from "./workers-types.js";

const PREFIX = "known/";
/** Keys per storage.delete call (a Durable Objects limit). */
const DELETE_BATCH = 128;

/** What is stored: the Node edge's entry and when its connection was last live, ms. */
interface StoredKnown extends KnownConnection {
  readonly at?: number;
}

export function getKnown(
  storage: DurableObjectStorage,
  connectionId: string,
): Promise<KnownConnection | undefined> {
  return storage.get<StoredKnown>(`${PREFIX}${connectionId}`);
}

/** Records the connection as live now (at join, and again when it ends). */
export function rememberKnown(
  storage: DurableObjectStorage,
  connectionId: string,
  known: KnownConnection,
  now: number,
): Promise<void> {
  return storage.put(`${PREFIX}${connectionId}`, { userId: known.userId, epoch: known.epoch, at: now });
}

/**
 * Deletes entries older than `retentionMs` whose connection is not live; returns
 * when the oldest remaining one falls due (undefined when none waits). Entries
 * written before `at` existed count from this sweep.
 */
export async function sweepKnown(
  storage: DurableObjectStorage,
  live: ReadonlySet<string>,
  now: number,
  retentionMs: number,
): Promise<number | undefined> {
  const entries = await storage.list<StoredKnown>({ prefix: PREFIX });
  const expired: string[] = [];
  let due: number | undefined;
  for (const [key, value] of entries) {
    if (live.has(key.slice(PREFIX.length))) continue;
    if (value.at === undefined) {
      await storage.put(key, { ...value, at: now });
      due = Math.min(due ?? Number.POSITIVE_INFINITY, now + retentionMs);
    } else if (now - value.at >= retentionMs) expired.push(key);
    else due = Math.min(due ?? Number.POSITIVE_INFINITY, value.at + retentionMs);
  }
  for (let i = 0; i < expired.length; i += DELETE_BATCH)
    await storage.delete(expired.slice(i, i + DELETE_BATCH));
  return due;
}
