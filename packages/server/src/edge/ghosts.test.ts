import { describe, expect, it } from "vitest";
import { createFakeClock } from "../test-support/fake-clock.js";
import { createGhosts, type GhostRoom } from "./ghosts.js";

function room(): GhostRoom & { idleChecks: number } {
  const r = { roomId: "r", holds: 0, idleChecks: 0, checkIdle: () => r.idleChecks++ };
  return r;
}

describe("createGhosts", () => {
  it("holds the room for the grace period, then expires the entry and lets the room go idle", async () => {
    const clock = createFakeClock();
    const ghosts = createGhosts(clock, 4000);
    const r = room();
    let expired = 0;
    ghosts.hold(r, "c1", () => expired++);
    expect(r.holds).toBe(1);
    await clock.advance(3999);
    expect(expired).toBe(0);
    await clock.advance(1);
    expect({ expired, holds: r.holds, idleChecks: r.idleChecks, size: ghosts.size }).toEqual({
      expired: 1,
      holds: 0,
      idleChecks: 1,
      size: 0,
    });
  });

  it("does not expire an entry a reconnect took over, and shutdown drops ghosts without expiring them", async () => {
    const clock = createFakeClock();
    const ghosts = createGhosts(clock, 4000);
    const r = room();
    let expired = 0;
    ghosts.hold(r, "c1", () => expired++);
    ghosts.hold(r, "c2", () => expired++);
    ghosts.cancel(r, "c1");
    expect(r.holds).toBe(1);
    ghosts.clear();
    await clock.advance(10_000);
    expect(expired).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
