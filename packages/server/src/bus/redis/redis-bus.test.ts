// The Redis bus's own timing (tick, slow sweep, whenConnected, close) with a fake
// clock over stand-in clients: the composition, without Redis. Everything Redis
// does is redis-bus.integration.test.ts, against a real redis-server.
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { createFakeClock } from "../../test-support/fake-clock.js";
import { createRedisBus, REDIS_BUS_DEFAULTS } from "./redis-bus.js";
import type { RedisClients } from "./redis-clients.js";

/** Clients whose connection and SSUBSCRIBE outcome the test sets; every command is logged. */
function standInClients() {
  const calls: string[] = [];
  const state = { connected: false, subscribeFails: false, closed: false };
  const subscriber = Object.assign(new EventEmitter(), {
    ssubscribe: async (channel: string) => {
      calls.push(`ssubscribe ${channel}`);
      if (state.subscribeFails) throw new Error("CLUSTERDOWN");
    },
    sunsubscribe: async () => {},
  });
  const commands = {
    defineCommand() {},
    presenceJoinBuffer: async () => {
      calls.push("join");
      return [0, [], []];
    },
    presenceMaintainBuffer: async () => {
      calls.push("maintain");
      return [1, 0, [], []];
    },
    xreadgroupBuffer: async () => null,
    xgroup: async () => "OK",
  };
  const clients = {
    target: { kind: "single", url: "redis://stand-in" },
    commands,
    subscriber,
    onResubscribed() {},
    get connected() {
      return state.connected;
    },
    async close() {
      state.closed = true;
    },
  } as unknown as RedisClients;
  return { clients, calls, state };
}

describe("redis bus timing", () => {
  it("whenConnected resolves false after its timeout, true once connected", async () => {
    const clock = createFakeClock();
    const { clients, state } = standInClients();
    const bus = createRedisBus({ podId: "p", clients, clock });
    let answer: boolean | undefined;
    void bus.whenConnected(1000).then((ok) => (answer = ok));
    await clock.advance(1000);
    expect(answer).toBeUndefined(); // not past the deadline yet
    await clock.advance(REDIS_BUS_DEFAULTS.connectPollMs);
    expect(answer).toBe(false);
    void bus.whenConnected(1000).then((ok) => (answer = ok));
    state.connected = true;
    await clock.advance(REDIS_BUS_DEFAULTS.connectPollMs);
    expect(answer).toBe(true);
    await bus.close();
  });

  it("retries a failed SSUBSCRIBE on the next tick, sweeps every slowSweepMs, and stops both at close()", async () => {
    const clock = createFakeClock();
    const { clients, calls, state } = standInClients();
    state.connected = true;
    state.subscribeFails = true;
    const bus = createRedisBus({ podId: "p", clients, clock });
    await bus.join("r", () => {});
    expect(calls.filter((c) => c.startsWith("ssubscribe"))).toHaveLength(1);
    state.subscribeFails = false;
    await clock.advance(REDIS_BUS_DEFAULTS.tickMs);
    expect(calls.filter((c) => c.startsWith("ssubscribe"))).toHaveLength(2);
    await clock.advance(REDIS_BUS_DEFAULTS.tickMs);
    expect(calls.filter((c) => c.startsWith("ssubscribe"))).toHaveLength(2); // subscribed: no more
    expect(calls.filter((c) => c === "maintain")).toHaveLength(0);
    await clock.advance(REDIS_BUS_DEFAULTS.slowSweepMs - 2 * REDIS_BUS_DEFAULTS.tickMs);
    expect(calls.filter((c) => c === "maintain")).toHaveLength(1);
    await bus.close();
    expect(state.closed).toBe(true);
    expect(clock.pending).toBe(0);
  });
});
