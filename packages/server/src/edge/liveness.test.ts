import { describe, expect, it } from "vitest";
import { createFakeClock } from "../test-support/fake-clock.js";
import { createLiveness, HEARTBEAT_SLICES, type LiveMember } from "./liveness.js";
import { SOCKET_BUFFER_LIMIT_BYTES } from "./socket-writes.js";

function member(): LiveMember & { pings: number; ws: { bufferedAmount: number } } {
  const m = {
    heartbeatSlice: 0,
    missedPongs: 0,
    pingOwed: false,
    pings: 0,
    ws: { bufferedAmount: 0, ping: () => m.pings++ },
  };
  return m;
}

/** Liveness over always-live members whose expiry and overflow the test does not watch. */
function quietLiveness(clock: ReturnType<typeof createFakeClock>, heartbeatMs: number) {
  return createLiveness({ heartbeatMs, clock, isLive: () => true, expire: () => {}, overflow: () => {} });
}

describe("createLiveness", () => {
  it("pings each member once per interval, spread over the slices, and expires one after two missed pongs", async () => {
    const clock = createFakeClock();
    const members = Array.from({ length: 40 }, member);
    const expired: LiveMember[] = [];
    const live = createLiveness({
      heartbeatMs: 2000,
      clock,
      isLive: () => true,
      expire: (m) => expired.push(m),
      overflow: () => {},
    });
    for (const m of members) live.assign(m);
    expect(new Set(members.map((m) => m.heartbeatSlice)).size).toBe(HEARTBEAT_SLICES);
    await clock.advance(100); // one tick: one slice of 40 / 20 = 2 members owe a ping
    expect(members.filter((m) => m.pingOwed)).toHaveLength(2);
    expect(members.filter((m) => m.pings > 0)).toHaveLength(0);
    await clock.advance(900); // no frame took them: written on their own half an interval after
    expect(members.filter((m) => m.pings > 0)).toHaveLength(0);
    await clock.advance(100);
    expect(members.filter((m) => m.pings === 1)).toHaveLength(2);
    await clock.advance(900); // the rest of the interval: everyone owes one, half of them sent
    expect(members.every((m) => m.pingOwed || m.pings === 1)).toBe(true);
    expect(members.filter((m) => m.pings === 1)).toHaveLength(20);
    // The first member answers (its pong resets missedPongs); the others stay silent.
    members[0]!.missedPongs = 0;
    await clock.advance(2000);
    expect(expired).toEqual([]);
    await clock.advance(2000); // third tick of their slice: two pings unanswered
    expect(expired).toHaveLength(39);
    expect(expired).not.toContain(members[0]);
    live.stop();
    expect(clock.pending).toBe(0);
  });

  it("writes no ping of its own for a member whose owed ping a frame took (socket-writes.ts)", async () => {
    const clock = createFakeClock();
    const [taken, left] = [member(), member()];
    const live = quietLiveness(clock, 2000);
    live.assign(taken);
    live.assign(left);
    await clock.advance(200);
    expect([taken.pingOwed, left.pingOwed]).toEqual([true, true]);
    taken.pingOwed = false; // what writeFramed does when the ping rides a frame
    await clock.advance(1000);
    expect([taken.pings, left.pings]).toEqual([0, 1]);
    expect([taken.missedPongs, left.missedPongs]).toEqual([1, 1]);
    live.stop();
  });

  it("uses fewer slices for a short interval (tests), never less than one", async () => {
    const clock = createFakeClock();
    const m = member();
    const live = quietLiveness(clock, 20);
    live.assign(m);
    await clock.advance(20);
    expect(m.pings).toBe(1);
    live.stop();
  });

  it("closes a member holding more than the socket buffer limit at its next tick, without pinging it", async () => {
    const clock = createFakeClock();
    const [full, fine] = [member(), member()];
    const overflowed: LiveMember[] = [];
    const live = createLiveness({
      heartbeatMs: 2000,
      clock,
      isLive: () => true,
      expire: () => {},
      overflow: (m) => overflowed.push(m),
    });
    live.assign(full!);
    live.assign(fine!);
    full!.ws.bufferedAmount = SOCKET_BUFFER_LIMIT_BYTES + 1;
    await clock.advance(2000);
    expect(overflowed).toEqual([full]);
    expect(full!.pings).toBe(0);
    expect(fine!.pings).toBe(1);
    live.stop();
  });

  it("forgets a member that is no longer live at its slice's next tick, without pinging it", async () => {
    const clock = createFakeClock();
    const [gone, here] = [member(), member()];
    const expired: LiveMember[] = [];
    const live = createLiveness({
      heartbeatMs: 20, // 2 slices of 10 ms
      clock,
      isLive: (m) => m !== gone,
      expire: (m) => expired.push(m),
      overflow: () => {},
    });
    live.assign(gone!);
    live.assign(here!);
    await clock.advance(60); // three intervals: two pings unanswered, then expiry
    expect(gone!.pings).toBe(0);
    expect(here!.pings).toBe(2);
    expect(expired).toEqual([here]);
    live.stop();
  });

  it("pings through the given ping function", async () => {
    const clock = createFakeClock();
    const m = member();
    const pinged: LiveMember[] = [];
    const live = createLiveness({
      heartbeatMs: 20,
      clock,
      isLive: () => true,
      ping: (x) => pinged.push(x),
      expire: () => {},
      overflow: () => {},
    });
    live.assign(m);
    await clock.advance(20);
    expect(pinged).toEqual([m]);
    expect(m.pings).toBe(0);
    expect(m.missedPongs).toBe(1);
    live.stop();
  });
});
