// Liveness without waking (docs/EDGE-WORKERS.md#hibernation, PROTOCOL.md §4
// "Keepalive"): the welcome offers a text keepalive, the runtime answers it without
// waking the object, and the alarm expires a socket whose keepalives stopped for
// longer than the Node edge's liveness bound. A member that keeps alive stays, and
// the object is still evicted between sweeps. The sweep interval is shortened to
// SWEEP_MS here (LIVENESS_SWEEP_MS; 30 s by default).
import { HEARTBEAT_MS, KEEPALIVE_PING, KEEPALIVE_PONG } from "@collabblocks/protocol";
import { livenessBoundMs } from "@collabblocks/server/portable";
import { describe, expect, it } from "vitest";
import type { TestClient } from "../../server/src/test-support/test-client.js";
import { useDoEdge } from "./test-support/do-edge.js";

const SWEEP_MS = 12_000;
const suite = useDoEdge({ vars: { LIVENESS_SWEEP_MS: String(SWEEP_MS) } });
const starts = () => suite.cluster.logs.filter((l) => l.includes("room object started")).length;

/** Sends the keepalive as the SDK does; returns the stop. */
function keepAlive(client: TestClient, ms: number): () => void {
  const timer = setInterval(() => client.ws.send(KEEPALIVE_PING), ms);
  return () => clearInterval(timer);
}

describe("keepalive liveness on the Durable Object edge", () => {
  it("expires a member whose keepalives stop within the bound, keeps one that answers, and still hibernates", async () => {
    const honest = await suite.join("keepalive", "ada");
    const quiet = await suite.join("keepalive", "bo");
    const ms = honest.welcome!.limits.keepaliveMs!;
    expect(ms).toBe(HEARTBEAT_MS);
    const stopHonest = keepAlive(honest, ms);
    const stopQuiet = keepAlive(quiet, ms);
    await honest.waitFor(() => honest.textReceived.includes(KEEPALIVE_PONG), 3 * ms, "a keepalive answer");
    await quiet.waitFor(() => quiet.textReceived.includes(KEEPALIVE_PONG), 3 * ms, "a keepalive answer");

    // bo's client vanishes without a close: no more keepalives, nothing read.
    stopQuiet();
    (quiet.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const stoppedAt = performance.now();
    const startsBefore = starts();
    const gone = () =>
      honest.events.some((e) => e.kind === "leave" && e.connectionId === quiet.welcome!.connectionId);
    const bound = livenessBoundMs(ms) + SWEEP_MS;
    await honest.waitFor(gone, bound + 3000, "bo's leave");
    const took = performance.now() - stoppedAt;
    const leave = honest.events.find(
      (e) => e.kind === "leave" && e.connectionId === quiet.welcome!.connectionId,
    );
    expect(leave?.reason).toBe("expired");
    expect(took).toBeLessThan(bound + 1000);

    // ada keeps alive through keepalives alone (no PING, no patch): kept, and the
    // object sleeps between sweeps (the alarm wakes it: one more start).
    await honest.waitFor(() => starts() > startsBefore, SWEEP_MS + 5000, "an eviction and a wake");
    stopHonest();
    console.log(
      `[liveness] bo expired ${Math.round(took)} ms after his keepalives stopped (bound ${bound} ms); ` +
        `object starts: ${startsBefore} before, ${starts()} after`,
    );
    expect(honest.ws.readyState).toBe(honest.ws.OPEN);
    expect(
      honest.events.filter((e) => e.kind === "leave" && e.connectionId === honest.welcome!.connectionId),
    ).toEqual([]);
    expect(honest.errors).toEqual([]);
  }, 60_000);
});
