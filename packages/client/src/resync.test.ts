import { describe, expect, it } from "vitest";
import { createResync, SYNC_MIN_INTERVAL_MS, SYNC_TIMEOUT_MS } from "./resync.js";
import { createFakeClock } from "./test-support/fake-clock.js";
import { ALICE, peer } from "./test-support/fake-server.js";

function setup(connected = true) {
  const clock = createFakeClock(0);
  const requests: number[] = [];
  const resync = createResync(clock, (id) => {
    if (connected) requests.push(id);
    return connected;
  });
  return { clock, requests, resync };
}

describe("createResync", () => {
  it("sends one SYNC_REQUEST for many gaps while one is in flight", () => {
    const { requests, resync } = setup();
    resync.request();
    resync.request();
    resync.request();
    expect(requests).toEqual([1]);
  });

  it("returns the snapshot's entries when its done message matches and is complete", () => {
    const { resync } = setup();
    resync.request();
    resync.chunk(1, [peer(ALICE, {})]);
    expect(resync.done(1, 1)).toEqual([peer(ALICE, {})]);
  });

  it("spaces requests by the minimum interval and folds gaps seen meanwhile into the next", async () => {
    const { clock, requests, resync } = setup();
    resync.request();
    resync.request(); // gap while in flight
    resync.done(1, 0);
    expect(requests).toEqual([1]);
    await clock.advance(SYNC_MIN_INTERVAL_MS - 1);
    expect(requests).toEqual([1]);
    await clock.advance(1);
    expect(requests).toEqual([1, 2]);
  });

  it("asks again when a request goes unanswered", async () => {
    const { clock, requests, resync } = setup();
    resync.request();
    await clock.advance(SYNC_TIMEOUT_MS);
    expect(requests).toEqual([1, 2]);
    expect(resync.done(1, 0)).toBeUndefined(); // the late answer is ignored
  });

  it("asks again when a snapshot arrives incomplete", async () => {
    const { clock, requests, resync } = setup();
    resync.request();
    resync.chunk(1, [peer(ALICE, {})]);
    expect(resync.done(1, 2)).toBeUndefined();
    await clock.advance(SYNC_MIN_INTERVAL_MS);
    expect(requests).toEqual([1, 2]);
  });

  it("passes server-initiated snapshots (syncId 0) through", () => {
    const { resync } = setup();
    resync.chunk(0, [peer(ALICE, {})]);
    expect(resync.done(0, 1)).toHaveLength(1);
  });

  it("sends nothing while disconnected", () => {
    const { requests, resync } = setup(false);
    resync.request();
    expect(requests).toEqual([]);
  });
});
