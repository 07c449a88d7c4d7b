// A paused (non-reading) client, pushed past the kernel's socket buffers (~4 MB
// on loopback), does not delay the others, and converges after it resumes
// (docs/ARCHITECTURE.md#the-edge back-pressure).
import { MessageType } from "@collabblocks/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../test-support/dev-server.js";
import type { TestClient, TestClientOptions } from "../test-support/test-client.js";

const SENDERS = 40;
/** Each sender at 20 Hz for this long: 40 × 20 × ~1.9 KB ≈ 1.5 MB/s to every receiver. */
const SEND_MS = 5000;
const INTERVAL_MS = 50;

let dev: DevServer;

beforeAll(async () => {
  // The paused client cannot answer pings: a long heartbeat keeps it from expiring mid-test.
  dev = await startDevServer({ heartbeatMs: 60_000 });
});
afterAll(() => dev?.close());

const join = (room: string, user: string, onMessage?: TestClientOptions["onMessage"]) =>
  dev.join(room, user, { onMessage });

function randomText(n: number): string {
  let s = "";
  while (s.length < n) s += Math.random().toString(36).slice(2);
  return s.slice(0, n);
}

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length * 0.95)] ?? Number.NaN;
}

describe("back-pressure", () => {
  it("keeps a paused reader from delaying others and resyncs it with a snapshot after it resumes", async () => {
    const room = "slow-1";
    const latencies: number[] = [];
    const watcher = await join(room, "watcher", (msg, at) => {
      if (msg.type !== MessageType.BATCH) return;
      for (const e of msg.entries) {
        if (e.kind === "update" && typeof e.set.t === "number") latencies.push(at - e.set.t);
      }
    });
    const slow = await join(room, "slow");
    slow.pause();
    const senders: TestClient[] = [];
    for (let i = 0; i < SENDERS; i++) senders.push(await join(room, `sender-${i}`));

    const rounds = SEND_MS / INTERVAL_MS;
    for (let r = 0; r < rounds; r++) {
      for (const s of senders) s.update({ blob: randomText(1900), t: performance.now() });
      await new Promise((res) => setTimeout(res, INTERVAL_MS));
    }
    const stats = dev.server.metrics.stats;
    expect(stats.slowSocketSkips).toBeGreaterThanOrEqual(1);
    expect(stats.backlogResets).toBeGreaterThanOrEqual(1);

    const everyoneSees = (viewer: TestClient) => () =>
      senders.every((s) => viewer.others().get(s.welcome!.connectionId)?.t === s.local.t);
    await watcher.waitFor(everyoneSees(watcher), 10_000, "the watcher to converge");
    const watcherP95 = p95(latencies);
    // Product promise: a slow reader never stalls the room. Generous bound for a shared CI box.
    expect(watcherP95).toBeLessThan(250);

    const snapshotsBefore = slow.snapshots;
    slow.resume();
    await slow.waitFor(everyoneSees(slow), 20_000, "the slow reader to converge");
    expect(slow.snapshots).toBeGreaterThan(snapshotsBefore); // recovered through a fresh snapshot
    expect(slow.errors).toEqual([]);
    process.stderr.write(
      `slow reader: watcher p95 ${watcherP95.toFixed(2)} ms over ${latencies.length} updates; ` +
        `slow client read ${(slow.bytesReceived / 1e6).toFixed(1)} MB after resuming ` +
        `(watcher ${(watcher.bytesReceived / 1e6).toFixed(1)} MB)\n`,
    );
  });
});
