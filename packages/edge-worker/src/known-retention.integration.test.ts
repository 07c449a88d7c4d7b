// The room object's known connections (`known/{cid}` in its storage,
// docs/EDGE-WORKERS.md#hibernation) outlive their connection for the retention
// only: within it a reconnect keeps its id and a newer epoch and nobody else may
// take the id; after it the alarm has deleted the entry, so the id starts over.
// The retention is shortened to RETENTION_MS here (KNOWN_RETENTION_MS).
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { useDoEdge } from "./test-support/do-edge.js";

const RETENTION_MS = 3000;
const suite = useDoEdge({ vars: { KNOWN_RETENTION_MS: String(RETENTION_MS) }, recordMetrics: true });

/** The room events the objects wrote to METRICS (metrics.ts), as [event, detail]. */
function roomEvents(room: string): string[][] {
  return suite.cluster.logs
    .filter((l) => l.startsWith('{"metrics":'))
    .map((l) => (JSON.parse(l) as { metrics: { indexes: string[]; blobs: string[] } }).metrics)
    .filter((p) => p.indexes[0] === room)
    .map((p) => p.blobs);
}

describe("known-connection retention on the Durable Object edge", () => {
  it("keeps identity for a reconnect within the bound and forgets the id after it", async () => {
    const room = "retention";
    const first = await suite.join(room, "ada");
    const cid = first.welcome!.connectionId;
    await first.close(1000);

    const again = await suite.join(room, "ada", { cid, epoch: first.welcome!.epoch });
    expect(again.welcome!.connectionId).toBe(cid);
    expect(again.welcome!.epoch).toBeGreaterThan(first.welcome!.epoch);
    await again.close(1000);
    const leftAt = performance.now();

    const mallory = async () =>
      suite.open({ room, token: await suite.cluster.auth.sign({ sub: "mallory", room }), cid });
    const early = await mallory();
    await early.closed;
    expect(early.errors.map((e) => e.code)).toEqual(["CONNECTION_ID_TAKEN"]);

    // The alarm falls due RETENTION_MS after the last end; allow it a second to run.
    await sleep(Math.max(0, RETENTION_MS + 1000 - (performance.now() - leftAt)));
    const late = await mallory();
    await late.ready;
    expect(late.errors).toEqual([]);
    expect(late.welcome!.connectionId).toBe(cid);
    // Epochs start over: nothing of ada's entry is left in the object's storage.
    expect(late.welcome!.epoch).toBe(1);
    // And each of those steps was one data point for the room (metrics.ts), after the
    // object's start (and one more start if workerd evicted it while the room was empty).
    const events = roomEvents(room);
    expect(events[0]).toEqual(["start", ""]);
    expect(events.filter(([kind]) => kind !== "start")).toEqual([
      ["join", "pro"],
      ["end", "left"],
      ["join", "pro"],
      ["end", "left"],
      ["refused", "CONNECTION_ID_TAKEN"],
      ["join", "pro"],
    ]);
  }, 30_000);
});
