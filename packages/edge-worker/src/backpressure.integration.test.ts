// A member that stops reading (docs/EDGE-WORKERS.md#limits-of-this-edge): Workers
// expose no bufferedAmount, so the object cannot tell a slow reader from a fast one
// and writes every BATCH to it; the runtime buffers what the socket does not take.
// What this checks: the room's other members are not delayed by it. What it
// measures: what the runtime did with the paused socket (printed).

import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { waitConverged } from "../../server/src/test-support/presence-processes.js";
import { useDoEdge } from "./test-support/do-edge.js";

const suite = useDoEdge();
const SENDERS = 12;
const SECONDS = 6;
/** A state near the 2 KB limit: every batch to the paused reader is large. */
const filler = (i: number) => ({ blob: `${i}`.padEnd(1800, "x") });

describe("a member that stops reading on the Durable Object edge", () => {
  it("does not delay the room's other members", async () => {
    const room = "paused";
    const paused = await suite.join(room, "sleepy");
    const watcher = await suite.join(room, "watcher");
    const senders = await Promise.all(Array.from({ length: SENDERS }, (_, i) => suite.join(room, `s${i}`)));
    const raw = (paused.ws as unknown as { _socket: Socket })._socket;
    raw.pause();
    const t0 = performance.now();
    let sent = 0;
    for (let tick = 0; tick < SECONDS * 10; tick++) {
      for (const s of senders) s.update(filler(tick));
      sent += SENDERS;
      await sleep(100);
    }
    const everyone = [paused, watcher, ...senders];
    const lag = await waitConverged([watcher], everyone, 10_000, "the watcher while a member is paused");
    const pausedState = paused.ws.readyState;
    console.log(
      `[backpressure] ${sent} patches of ~1.8 KB in ${Math.round(performance.now() - t0)} ms ` +
        `(~${Math.round(sent * 1.9)} KB to each reader); watcher converged ${Math.round(lag)} ms ` +
        `after the last; paused socket readyState ${pausedState}, kernel receive queue ${raw.readableLength} B`,
    );
    raw.resume();
    const drained = await waitConverged([paused], everyone, 20_000, "the paused member after resuming");
    console.log(`[backpressure] the paused member caught up ${Math.round(drained)} ms after resuming`);
    expect(lag).toBeLessThan(2000);
    expect(watcher.errors).toEqual([]);
  }, 60_000);
});
