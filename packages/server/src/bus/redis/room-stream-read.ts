// One XREADGROUP of a room's stream for this pod's group, applied and acknowledged
// (room-reader.ts decides when to call it). Entries already applied from their
// wake-up (wake-ledger.ts) and this pod's own entries are skipped. NOGROUP (the
// group is gone: FLUSHALL, a restart, keys expired) recreates the group at 0 and
// reads again.
import type { BatchEntry } from "@collabblocks/protocol";
import { READ_BATCH, type ReadResult } from "./room-reader.js";
import { isStopped, type RoomSyncContext } from "./room-sync-context.js";
import { decodeStreamBatch } from "./stream-codec.js";
import type { WakeLedger } from "./wake-ledger.js";

const isNoGroup = (err: unknown): boolean => err instanceof Error && err.message.includes("NOGROUP");

/** Field value of a stream entry's flat [field, value, …] list. */
function field(fields: readonly Buffer[], name: string): Buffer | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i]?.toString() === name) return fields[i + 1];
  return undefined;
}

export type StreamRead = (id: string) => Promise<ReadResult>;

export function createStreamRead(
  ctx: RoomSyncContext,
  ledger: WakeLedger,
  deliver: (entries: readonly BatchEntry[], origin: string) => unknown,
): StreamRead {
  const { redis, keys, onError } = ctx;
  const { podId } = ctx.config;

  const readOnce = async (id: string): Promise<ReadResult> => {
    const reply = await redis.xreadgroupBuffer(
      "GROUP",
      podId,
      podId,
      "COUNT",
      READ_BATCH,
      "STREAMS",
      keys.stream,
      id,
    );
    const items = reply?.[0]?.[1] ?? [];
    const ids: string[] = [];
    for (const [idBuf, fields] of items) {
      const id = idBuf.toString();
      ids.push(id);
      if (ledger.read(id)) continue; // applied from its wake-up already
      if (!fields || isStopped(ctx)) continue; // an entry trimmed while pending
      const origin = field(fields, "o")?.toString() ?? "";
      if (origin === podId) continue;
      const d = field(fields, "d");
      if (!d) continue;
      try {
        deliver(decodeStreamBatch(d), origin);
      } catch (err) {
        onError(err, `bad stream entry in ${keys.stream}`);
      }
    }
    // A lost XACK is harmless: the entry stays pending and the next catch-up reads it again,
    // where the version tracker drops it as already applied.
    if (ids.length > 0) redis.xack(keys.stream, podId, ...ids).catch(() => {});
    return { count: items.length, lastId: ids[ids.length - 1] };
  };

  return async (id) => {
    try {
      return await readOnce(id);
    } catch (err) {
      if (!isNoGroup(err)) throw err;
      // The group is gone (FLUSHALL, restart, keys expired): everything in the
      // stream now is newer than what we hold, so start at 0.
      // BUSYGROUP (another read recreated it first) is fine; any other failure shows in
      // the read that follows, which reports it.
      await redis.xgroup("CREATE", keys.stream, podId, "0", "MKSTREAM").catch(() => {});
      return readOnce(id);
    }
  };
}
