// The edge's pod-link state machine with a fake clock: backoff timing, reset on
// up, stale attempts, close. No sockets: pod-connection.ts wires it to gRPC
// (rpc.integration.test.ts runs that against a real pod).
import { describe, expect, it } from "vitest";
import { createFakeClock } from "../test-support/fake-clock.js";
import {
  createPodLinkState,
  POD_LINK_TRANSITIONS,
  type PodConnectionState,
  RECONNECT_BACKOFF_MS,
} from "./pod-link-state.js";

function setup(random = () => 0.5) {
  const clock = createFakeClock();
  const log: string[] = [];
  const opens: number[] = [];
  const link = createPodLinkState({
    clock,
    random,
    open: (attempt) => opens.push(attempt),
    onUp: () => log.push("up"),
    onDown: (reason, wasUp, delay) => log.push(`down ${reason} wasUp=${wasUp} delay=${delay}`),
  });
  /** The latest attempt fails. */
  const fail = (reason = "refused") => link.down(opens.at(-1) as number, reason);
  return { clock, link, log, opens, fail };
}

describe("pod link state", () => {
  it("opens at once, then re-opens after each failure on the backoff schedule, the last step repeating", async () => {
    const t = setup(); // random 0.5: no jitter
    expect(t.opens).toEqual([1]);
    expect(t.link.state).toBe("connecting");
    for (const [i, delay] of [...RECONNECT_BACKOFF_MS, 2000].entries()) {
      t.fail();
      expect(t.link.state).toBe("waiting");
      expect(t.log.at(-1)).toBe(`down refused wasUp=false delay=${delay}`);
      await t.clock.advance(delay - 1);
      expect(t.opens).toHaveLength(i + 1);
      await t.clock.advance(1);
      expect(t.opens).toHaveLength(i + 2);
      expect(t.link.state).toBe("connecting");
    }
  });

  it("keeps the jitter within ±20 % of the step", () => {
    const low = setup(() => 0);
    low.fail();
    expect(low.log.at(-1)).toBe("down refused wasUp=false delay=80");
    const high = setup(() => 0.999_999);
    high.fail();
    expect(high.log.at(-1)).toBe("down refused wasUp=false delay=120");
  });

  it("starts the backoff again after the stream was up", async () => {
    const t = setup();
    t.fail();
    await t.clock.advance(100);
    t.fail();
    await t.clock.advance(250);
    t.link.up(t.opens.at(-1) as number);
    expect(t.link.state).toBe("up");
    expect(t.log.at(-1)).toBe("up");
    t.fail("ended");
    expect(t.log.at(-1)).toBe("down ended wasUp=true delay=100");
  });

  it("ignores events of an attempt that is no longer current", async () => {
    const t = setup();
    t.fail("error");
    t.link.down(1, "end"); // the same stream's end after its error
    expect(t.log).toEqual(["down error wasUp=false delay=100"]);
    await t.clock.advance(100);
    expect(t.opens).toEqual([1, 2]);
    t.link.up(1); // headers of the old stream, late
    expect(t.link.state).toBe("connecting");
    expect(t.link.isCurrent(1)).toBe(false);
    expect(t.link.isCurrent(2)).toBe(true);
    t.link.up(2);
    expect(t.link.state).toBe("up");
    t.link.up(2); // headers once only
    expect(t.log.filter((l) => l === "up")).toHaveLength(1);
  });

  it("closes for good: no re-open is left pending, later events change nothing", async () => {
    const t = setup();
    t.fail();
    expect(t.clock.pending).toBe(1);
    expect(t.link.close()).toBe(false);
    expect(t.clock.pending).toBe(0);
    await t.clock.advance(10_000);
    expect(t.opens).toEqual([1]);
    expect(t.link.state).toBe("closed");
    expect(t.link.close()).toBe(false);
    const u = setup();
    u.link.up(1);
    expect(u.link.close()).toBe(true); // it was up: the caller reports the pod down
    u.link.down(1, "cancelled");
    expect(u.log).toEqual(["up"]);
  });

  it("allows exactly the transitions of its table", () => {
    const states = Object.keys(POD_LINK_TRANSITIONS) as PodConnectionState[];
    expect(states).toEqual(["connecting", "up", "waiting", "closed"]);
    expect(POD_LINK_TRANSITIONS.closed).toEqual([]);
    expect(POD_LINK_TRANSITIONS.waiting).not.toContain("up"); // up only from a stream that opened
  });
});
