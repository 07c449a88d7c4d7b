import { RTT_BUCKETS_MS } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { createMetrics } from "./metrics.js";

const sources = { connections: () => 3, rooms: () => 2, backlog: () => 7, evictions: () => 1 };

describe("metrics", () => {
  it("exposes the docs/OPERATIONS.md#metrics names without room or user labels", async () => {
    const m = createMetrics(sources, { defaultMetrics: false });
    m.stats.updatesIn = 5;
    m.refusal("RATE_LIMITED");
    const text = await m.registry.metrics();
    for (const name of [
      "presence_rtt_ms_bucket",
      "presence_stream_backlog 7",
      "presence_redis_lag 0",
      "presence_lru_evictions_total 1",
      "presence_connections 3",
      "presence_rooms 2",
      "presence_updates_in_total 5",
      "presence_updates_out_total 0",
      "presence_frames_out_total",
      "presence_bytes_out_total",
      "presence_rate_limited_total",
      'presence_refusals_total{code="RATE_LIMITED"} 1',
      "presence_snapshot_chunks_total",
    ]) {
      expect(text).toContain(name);
    }
    expect(text).not.toMatch(/room=|user=/);
  });

  it("adds reported RTT bucket counts to the matching buckets", async () => {
    const m = createMetrics(sources, { defaultMetrics: false });
    const counts = new Array(RTT_BUCKETS_MS.length + 1).fill(0);
    counts[0] = 3; // ≤ 1 ms
    counts[8] = 2; // (30, 40] ms
    expect(m.observeRtt(counts)).toBe(true);
    const text = await m.registry.metrics();
    expect(text).toContain('presence_rtt_ms_bucket{le="1"} 3');
    expect(text).toContain('presence_rtt_ms_bucket{le="30"} 3');
    expect(text).toContain('presence_rtt_ms_bucket{le="40"} 5');
    expect(text).toContain("presence_rtt_ms_count 5");
  });

  it("ignores a report of the wrong shape or an implausible total", () => {
    const m = createMetrics(sources, { defaultMetrics: false });
    expect(m.observeRtt([1, 2])).toBe(false);
    const huge = new Array(RTT_BUCKETS_MS.length + 1).fill(0);
    huge[0] = 1e12;
    expect(m.observeRtt(huge)).toBe(false);
  });
});
