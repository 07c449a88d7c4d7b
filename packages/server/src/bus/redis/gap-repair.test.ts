import type { PeerState } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { createFakeClock } from "../../test-support/fake-clock.js";
import { createGapRepair } from "./gap-repair.js";
import { encodeStoredPeer } from "./stream-codec.js";

const stored = (cid: string, clock: number): Buffer =>
  encodeStoredPeer({ connectionId: cid, userId: "u", info: undefined, epoch: 1, clock, state: { clock } });

describe("gap repair", () => {
  it("fetches every pending connection in one call and hands over the stored states", async () => {
    const fetched: string[][] = [];
    const delivered: PeerState[] = [];
    const clock = createFakeClock();
    const repair = createGapRepair({
      clock,
      delayMs: 5,
      fetch: async (ids) => {
        fetched.push([...ids]);
        return ids.map((id) => stored(id, 9));
      },
      deliver: (peers) => delivered.push(...peers),
      onError: () => {},
    });
    repair.request("a", { epoch: 1, clock: 4 });
    repair.request("b", { epoch: 1, clock: 2 });
    repair.request("a", { epoch: 1, clock: 6 });
    await clock.advance(4);
    expect(fetched).toEqual([]); // not before the delay
    await clock.advance(1);
    expect(fetched).toEqual([["a", "b"]]);
    expect(delivered.map((p) => [p.connectionId, p.clock])).toEqual([
      ["a", 9],
      ["b", 9],
    ]);
    expect(repair.pending).toBe(0);
  });

  it("retries while the stored state is older than the gap, then gives up", async () => {
    let calls = 0;
    const clock = createFakeClock();
    const repair = createGapRepair({
      clock,
      delayMs: 2,
      attempts: 3,
      fetch: async (ids) => {
        calls++;
        return ids.map((id) => (calls === 1 ? null : stored(id, 1)));
      },
      deliver: () => {},
      onError: () => {},
    });
    repair.request("a", { epoch: 1, clock: 5 });
    await clock.advance(2);
    expect(calls).toBe(1);
    await clock.advance(100);
    expect(calls).toBe(3);
    expect(repair.pending).toBe(0);
  });

  it("reports a failed fetch and keeps trying", async () => {
    const errors: unknown[] = [];
    let fail = true;
    const delivered: PeerState[] = [];
    const clock = createFakeClock();
    const repair = createGapRepair({
      clock,
      delayMs: 2,
      fetch: async (ids) => {
        if (fail) {
          fail = false;
          throw new Error("down");
        }
        return ids.map((id) => stored(id, 5));
      },
      deliver: (peers) => delivered.push(...peers),
      onError: (err) => errors.push(err),
    });
    repair.request("a", { epoch: 1, clock: 5 });
    await clock.advance(2);
    expect(errors).toHaveLength(1);
    expect(delivered).toHaveLength(0);
    await clock.advance(2);
    expect(repair.pending).toBe(0);
    expect(errors).toHaveLength(1);
    expect(delivered).toHaveLength(1);
  });
});
