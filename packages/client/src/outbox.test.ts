import { applyPatch, type Patch, type PresenceData, patchFromPartial } from "@collabblocks/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createOutbox } from "./outbox.js";
import { createRateBudget, RESERVE_TOKENS } from "./rate-budget.js";
import { createFakeClock } from "./test-support/fake-clock.js";

interface Sent {
  at: number;
  patch: Patch;
}

function setup(options: { throttleMs?: number; rate?: number; burst?: number; hidden?: () => boolean } = {}) {
  const clock = createFakeClock(0);
  const sent: Sent[] = [];
  const outbox = createOutbox({
    timers: clock,
    throttleMs: options.throttleMs ?? 16,
    send: (patch) => {
      sent.push({ at: clock.now(), patch });
      return true;
    },
    isHidden: options.hidden ?? (() => false),
  });
  outbox.start(createRateBudget(options.rate ?? 20, options.burst ?? 5, clock.now()), null);
  return { clock, sent, outbox };
}

const cursor = (x: number): Patch => patchFromPartial({ cursor: { x, y: 0.5 } });

/** Replays frames through a model of the server's bucket; returns the first arrival that finds it empty. */
function firstRefusal(
  arrivals: readonly number[],
  rate: number,
  burst: number,
  openedAt: number,
): number | undefined {
  let tokens = burst;
  let last = openedAt;
  for (const t of arrivals) {
    tokens = Math.min(burst, tokens + ((t - last) * rate) / 1000);
    last = t;
    if (tokens < 1) return t;
    tokens -= 1;
  }
  return undefined;
}

describe("createOutbox", () => {
  it("sends the first change on the next microtask and coalesces the same turn's calls", async () => {
    const { clock, sent, outbox } = setup();
    outbox.add(cursor(0.1));
    outbox.add(patchFromPartial({ status: "editing" }));
    expect(sent).toHaveLength(0);
    await clock.settle();
    expect(sent).toHaveLength(1);
    expect(sent[0]?.patch.set).toEqual({ cursor: { x: 0.1, y: 0.5 }, status: "editing" });
  });

  it("sends at most one frame per throttle period and the last value wins", async () => {
    const { clock, sent, outbox } = setup({ throttleMs: 100 });
    for (let i = 0; i < 10; i++) {
      outbox.add(cursor(i / 10));
      await clock.advance(10);
    }
    await clock.advance(1000);
    const gaps = sent.slice(1).map((s, i) => s.at - (sent[i] as Sent).at);
    expect(gaps.every((g) => g >= 100)).toBe(true);
    expect(sent.at(-1)?.patch.set).toEqual({ cursor: { x: 0.9, y: 0.5 } });
  });

  it("turns a burst of 1 000 updates in one second into bounded frames, never over the bucket", async () => {
    const { clock, sent, outbox } = setup();
    let expected: PresenceData = {};
    for (let i = 0; i < 1000; i++) {
      const p = i % 7 === 0 ? patchFromPartial({ status: `s${i}` }) : cursor((i % 1000) / 1000);
      expected = applyPatch(expected, p);
      outbox.add(p);
      await clock.advance(1);
    }
    await clock.advance(2000);
    // 1 s at 20/s plus the 4-token head start, plus the trailing frame.
    expect(sent.length).toBeLessThanOrEqual(4 + 20 + 2);
    expect(sent.length).toBeGreaterThanOrEqual(20);
    const received = sent.reduce<PresenceData>((s, f) => applyPatch(s, f.patch), {});
    expect(received).toEqual(expected);
    expect(
      firstRefusal(
        sent.map((s) => s.at),
        20,
        5,
        0,
      ),
    ).toBeUndefined();
  });

  it("goes out at 60 Hz for 5 frames during a short gesture, then at 20 Hz", async () => {
    const { clock, sent, outbox } = setup();
    for (let i = 0; i < 60; i++) {
      outbox.add(cursor(i / 60));
      await clock.advance(1000 / 60);
    }
    const times = sent.map((s) => s.at);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    expect(gaps.slice(0, 4).every((g) => g < 20)).toBe(true);
    const steady = gaps.slice(8);
    expect(steady.every((g) => g >= 49.9 && g <= 51)).toBe(true);
  });

  it("sends nothing while stopped, and the first patch on start replaces what was pending", async () => {
    const { clock, sent, outbox } = setup();
    outbox.stop();
    outbox.add(cursor(0.2));
    await clock.advance(1000);
    expect(sent).toHaveLength(0);
    outbox.start(createRateBudget(20, 5, clock.now()), patchFromPartial({ status: "reasserted" }));
    await clock.settle();
    expect(sent.map((s) => s.patch.set)).toEqual([{ status: "reasserted" }]);
  });

  it("withholds cursor changes while hidden, flushing the one pending when the page hid", async () => {
    let hidden = false;
    const { clock, sent, outbox } = setup({ hidden: () => hidden, throttleMs: 100 });
    outbox.add(cursor(0.1));
    await clock.settle(); // frame 1
    outbox.add(cursor(0.2)); // pending when the page hides
    hidden = true;
    outbox.visibilityChanged();
    await clock.advance(100); // frame 2: the last cursor before hiding
    outbox.add(cursor(0.3));
    outbox.add(patchFromPartial({ status: "away" }));
    await clock.advance(500);
    outbox.add(cursor(0.4));
    await clock.advance(500);
    expect(sent.map((s) => s.patch.set)).toEqual([
      { cursor: { x: 0.1, y: 0.5 } },
      { cursor: { x: 0.2, y: 0.5 } },
      { status: "away" },
    ]);
    hidden = false;
    outbox.visibilityChanged();
    await clock.advance(100);
    expect(sent.at(-1)?.patch.set).toEqual({ cursor: { x: 0.4, y: 0.5 } });
  });

  it("never draws RATE_LIMITED from a model of the server's bucket, whatever the calls and network jitter", async () => {
    const call = fc.record({
      gap: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 400 })),
      kind: fc.constantFrom("cursor", "status", "delete", "visibility", "drag", "drag"),
      x: fc.double({ min: 0, max: 1, noNaN: true }),
      // A drag: `frames` cursor moves every `every` ms (mousemove at 60–250 Hz).
      frames: fc.integer({ min: 1, max: 80 }),
      every: fc.integer({ min: 4, max: 17 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(call, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 16, max: 1000 }),
        fc.constantFrom(10, 20, 50),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.oneof(fc.constantFrom(0, 1), fc.double({ min: 0, max: 1, noNaN: true })), {
          minLength: 1,
          maxLength: 50,
        }),
        async (calls, throttleMs, rate, burst, jitterDraws) => {
          let hidden = false;
          const { clock, sent, outbox } = setup({ throttleMs, rate, burst, hidden: () => hidden });
          let expected: PresenceData = {};
          for (const c of calls) {
            await clock.advance(c.gap);
            if (c.kind === "visibility") {
              hidden = !hidden;
              outbox.visibilityChanged();
              continue;
            }
            if (c.kind === "drag") {
              for (let i = 0; i < c.frames; i++) {
                const p = cursor((c.x + i / 1000) % 1);
                expected = applyPatch(expected, p);
                outbox.add(p);
                await clock.advance(c.every);
              }
              continue;
            }
            const p =
              c.kind === "cursor"
                ? cursor(c.x)
                : c.kind === "status"
                  ? patchFromPartial({ status: String(c.x) })
                  : patchFromPartial({ status: undefined });
            expected = applyPatch(expected, p);
            outbox.add(p);
          }
          hidden = false;
          outbox.visibilityChanged();
          await clock.advance(5000);
          // Frames keep their order (TCP); each is delayed by a base latency plus jitter below the
          // margin the model keeps (one token = 1000/rate ms; 25 % of a token's time at burst 1).
          const margin = burst >= 2 ? (RESERVE_TOKENS * 1000) / rate : 250 / rate;
          let arrival = Number.NEGATIVE_INFINITY;
          const arrivals = sent.map((s, i) => {
            arrival = Math.max(
              arrival,
              s.at + 20 + 0.95 * margin * (jitterDraws[i % jitterDraws.length] ?? 0),
            );
            return arrival;
          });
          expect(firstRefusal(arrivals, rate, burst, 0)).toBeUndefined();
          const gaps = sent.slice(1).map((s, i) => s.at - (sent[i] as Sent).at);
          expect(gaps.every((g) => g >= throttleMs)).toBe(true);
          expect(sent.reduce<PresenceData>((s, f) => applyPatch(s, f.patch), {})).toEqual(expected);
        },
      ),
      { numRuns: 80 },
    );
  });
});
