// A sync request answered (docs/ARCHITECTURE.md#data-flow-split-mode): once the
// room's bus state is merged (shard.ready), its replica in chunks that fit one
// frame (chunkSnapshot; PROTOCOL.md §4, SNAPSHOT_CHUNK), then a done frame with the total.
import { chunkSnapshot } from "@collabblocks/protocol";
import type { PodSessionState } from "./pod-fanout.js";
import type { PresenceManager } from "./presence-manager.js";

export async function sendSnapshot(
  manager: PresenceManager,
  session: PodSessionState,
  roomId: string,
  syncId: number,
): Promise<void> {
  const shard = manager.get(roomId);
  await shard.ready;
  if (!session.open) return;
  const peers = shard.replica.snapshot();
  for (const chunk of chunkSnapshot(peers)) {
    session.send({ type: "snapshot-chunk", roomId, syncId, entries: chunk });
  }
  session.send({ type: "snapshot-done", roomId, syncId, total: peers.length });
}
