import { generateKeyPairSync } from "node:crypto";
import { encode, MAX_INBOUND_FRAME_BYTES, MessageType, type PresenceData } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { createFakeClock } from "../test-support/fake-clock.js";
import { RecordingSocket } from "../test-support/recording-socket.js";
import { type MirrorContext, SHADOW_BACKPRESSURE_BYTES, type ShadowCounters } from "./mirror-context.js";
import { catchUp, createMirrorCore, type MirrorCore, sendable } from "./mirror-core.js";

const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });

class OpenSocket extends RecordingSocket {
  override readyState = 1;
  close(): void {}
  terminate(): void {}
}

/** A core already welcomed by staging, on a fake clock, writing to a recording socket. */
function openCore(entered: PresenceData) {
  const clock = createFakeClock();
  const stats: ShadowCounters = { shadowMirrored: 0, shadowDropped: 0, shadowConnections: 0 };
  let flushAsked = 0;
  const ctx: MirrorContext = {
    baseUrl: "ws://staging.test",
    key: { key: privateKey, kid: "k" },
    stats,
    clock,
    monotonicNow: () => clock.now(),
    random: () => 0,
    connect: () => new OpenSocket(""),
    wantFlush: () => {},
    report: () => {},
  };
  const core: MirrorCore = createMirrorCore(
    ctx,
    {
      stagingRoom: "r",
      connectionId: "c",
      claims: { sub: "u", room: "r", plan: "p", org: undefined, info: undefined },
    },
    entered,
    () => flushAsked++,
  );
  const socket = new OpenSocket("");
  core.ws = socket;
  core.phase = "open";
  return { core, socket, stats, clock, flushes: () => flushAsked };
}

describe("catchUp", () => {
  it("sends deletions first when the whole state and its deletions would not fit staging's inbound frame", () => {
    const old: Record<string, string> = {};
    for (let i = 0; i < 20; i++) old[`gone-${i}-`.padEnd(120, "k")] = "x"; // 2.4 KB of deletions
    const { core, socket, stats, flushes } = openCore(old);
    expect(catchUp(core, true)).toBe(true); // staging holds the 20 keys now
    core.ledger.observe({ note: "n".repeat(2000) });
    core.ledger.fold();
    const full = core.ledger.pending(true);
    expect(encode({ type: MessageType.UPDATE_PRESENCE, ...full }).length).toBeGreaterThan(
      MAX_INBOUND_FRAME_BYTES,
    );
    expect(catchUp(core, true)).toBe(false);
    expect(socket.patches()[1]).toEqual({ set: {}, del: Object.keys(old) });
    expect(flushes()).toBe(1);
    expect(catchUp(core, false)).toBe(true);
    expect(socket.patches()[2]).toEqual({ set: { note: "n".repeat(2000) }, del: [] });
    for (const p of socket.patches())
      expect(JSON.stringify(p).length).toBeLessThan(2 * MAX_INBOUND_FRAME_BYTES);
    expect(stats).toMatchObject({ shadowMirrored: 2, shadowDropped: 0 });
  });
});

describe("sendable", () => {
  it("needs an open, drained socket and a token of staging's bucket, refilled with time", async () => {
    const { core, socket, clock } = openCore({});
    core.limits = { ratePerSecond: 20, burst: 1 };
    core.bucket = { tokens: 1, at: clock.now() };
    socket.bufferedAmount = SHADOW_BACKPRESSURE_BYTES + 1;
    expect(sendable(core)).toBe(false);
    socket.bufferedAmount = 0;
    expect(sendable(core)).toBe(true);
    expect(sendable(core)).toBe(false); // the one token is spent
    await clock.advance(50);
    expect(sendable(core)).toBe(true);
    core.phase = "backoff";
    await clock.advance(1000);
    expect(sendable(core)).toBe(false);
  });
});
