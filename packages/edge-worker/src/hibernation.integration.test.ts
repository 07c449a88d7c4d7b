// Hibernation (docs/EDGE-WORKERS.md#hibernation): a quiet room's object is evicted
// from memory by workerd (about 10 s without an event) and woken by the next
// message; identity, epoch, clock and rate-limit state come back from the socket
// attachments and presence from the pod, so members notice nothing.
import { describe, expect, it } from "vitest";
import { waitConverged } from "../../server/src/test-support/presence-processes.js";
import { useDoEdge } from "./test-support/do-edge.js";

/**
 * workerd evicts an object after about 10 s without events, and the object's stall
 * monitor ticks for up to 1 s after the last patch (STALL_MONITOR_IDLE_MS); this much
 * quiet is waited for, ms.
 */
const IDLE_FOR_EVICTION_MS = 13_000;

const suite = useDoEdge();
const starts = () => suite.cluster.logs.filter((l) => l.includes("room object started")).length;
const join = (user: string) => suite.join("sleepy", user);

describe("a hibernating room", () => {
  it("is evicted when quiet and wakes with its members' state intact", async () => {
    const a = await join("alice");
    const b = await join("bob");
    a.update({ status: "editing", cursor: { x: 0.1, y: 0.2 } });
    b.update({ status: "idle" });
    await waitConverged([a, b], [a, b], 5000, "before sleep");
    const before = starts();
    expect(before).toBeGreaterThan(0);

    await new Promise((r) => setTimeout(r, IDLE_FOR_EVICTION_MS));
    // Woken by a patch: its update continues the clock the attachment kept (a replica
    // that lost it would see a gap, or drop the patch as stale).
    a.update({ cursor: { x: 0.3, y: 0.4 } });
    await waitConverged([a, b], [a, b], 5000, "after wake");
    const after = starts();
    console.log(`[hibernation] object starts: ${before} before the quiet, ${after} after`);
    expect(after).toBeGreaterThan(before);
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);

    // The woken object still enforces the rate limit from the attachment's bucket.
    for (let i = 0; i < 12; i++) b.update({ status: `s${i}` });
    await b.waitFor(() => b.errors.some((e) => e.code === "RATE_LIMITED"), 5000, "RATE_LIMITED");
    // And a third member joining now gets everyone in its snapshot.
    const c = await join("carol");
    await c.waitFor(() => c.others().size === 2, 5000, "carol sees both");
  }, 40_000);
});
