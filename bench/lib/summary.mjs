// Turns the generator processes' reports and the /proc readings of one run into
// the figures of the report. Units are in the key names (Ms, Us, Bytes, PerS).
import * as hdr from "hdr-histogram-js";
import { HISTOGRAM_OPTS } from "./histogram-opts.mjs";

/** Percentiles sampled for the CDF plot. */
const CDF_PERCENTILES = [
  0, 1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 85, 90, 92.5, 95, 96, 97, 98, 99, 99.5, 99.9, 99.99, 100,
];
/** Histogram plot bins per decade of latency (log-spaced). */
const BINS_PER_DECADE = 10;

export function mergeHistograms(encoded) {
  const total = hdr.build(HISTOGRAM_OPTS);
  for (const e of encoded) {
    const h = hdr.decodeFromCompressedBase64(e);
    total.add(h);
  }
  return total;
}

/**
 * Latency percentiles over every update the probes should have received, the
 * ones that never arrived counting as later than the drain (they are at least
 * `censoredAboveMs` late). A percentile that falls among those is null, with
 * `censoredAboveMs` telling the reader "> that". Without this, a saturated
 * server whose queue only delivers old updates would show no latency at all,
 * or a flattering one from the few that got through.
 */
function latencyFigures(h, lost = 0, censoredAboveMs = null) {
  if (h.totalCount === 0 && lost === 0) return null;
  const ms = (us) => us / 1000;
  const total = h.totalCount + lost;
  const at = (q) => {
    const rank = (q / 100) * total;
    if (rank > h.totalCount || h.totalCount === 0) return null;
    return ms(h.getValueAtPercentile(Math.min(100, (rank / h.totalCount) * 100)));
  };
  const p50Ms = at(50);
  const p95Ms = at(95);
  const p99Ms = at(99);
  // Lower bounds of censored percentiles: beyond the drain, and not below a lower percentile.
  let floor = lost > 0 ? censoredAboveMs : null;
  const above = {};
  for (const [key, v] of [
    ["p50Ms", p50Ms],
    ["p95Ms", p95Ms],
    ["p99Ms", p99Ms],
    ["maxMs", null],
  ]) {
    if (v !== null) floor = Math.max(floor ?? 0, v);
    else if (floor !== null)
      above[key] = Math.max(floor, key === "maxMs" && h.totalCount ? ms(h.maxValue) : 0);
  }
  return {
    count: h.totalCount,
    lost,
    censoredAboveMs: lost > 0 ? censoredAboveMs : null,
    /** For each percentile that is null: the latency it is known to exceed, ms. */
    above,
    p50Ms,
    p95Ms,
    p99Ms,
    maxMs: lost > 0 ? null : ms(h.maxValue),
    deliveredMaxMs: h.totalCount ? ms(h.maxValue) : null,
    meanMs: h.totalCount ? ms(h.mean) : null,
  };
}

/** Log-binned counts, [loMs, hiMs, count][], from the histogram's recorded values. */
function bins(h) {
  if (h.totalCount === 0) return [];
  const lo = Math.floor(Math.log10(Math.max(1, h.minNonZeroValue)) * BINS_PER_DECADE);
  const hi = Math.ceil(Math.log10(Math.max(2, h.maxValue)) * BINS_PER_DECADE);
  const out = [];
  for (let b = lo; b < hi; b++)
    out.push([10 ** (b / BINS_PER_DECADE) / 1000, 10 ** ((b + 1) / BINS_PER_DECADE) / 1000, 0]);
  const it = h.recordedValuesIterator;
  it.reset();
  while (it.hasNext()) {
    const v = it.next();
    const b = Math.min(
      out.length - 1,
      Math.max(0, Math.floor(Math.log10(Math.max(1, v.valueIteratedTo)) * BINS_PER_DECADE) - lo),
    );
    out[b][2] += v.countAtValueIteratedTo;
  }
  return out;
}

export function summarize(m) {
  const { reports } = m;
  const windowS = m.windowUs / 1e6;
  const sum = (f) => reports.reduce((s, r) => s + f(r), 0);
  const addUp = (key) => {
    const total = new Map();
    for (const r of reports) for (const [room, n] of r[key]) total.set(room, (total.get(room) ?? 0) + n);
    return total;
  };
  const sendsByRoom = addUp("sendsByRoom");
  const probesByRoom = addUp("probesByRoom");
  const roomSize = addUp("connsByRoom");
  // Every client of a room should get every update of every other client of that room.
  let expected = 0;
  for (const [room, n] of sendsByRoom) expected += n * ((roomSize.get(room) ?? 1) - 1);
  // The slice scenario: updates of the room's members on the synthetic edge, which every
  // measured connection (none of them the sender) should get.
  const remote = m.remoteSends ?? null;
  if (remote !== null) {
    expected += remote.sends * (roomSize.get(remote.room) ?? 0);
    sendsByRoom.set(remote.room, (sendsByRoom.get(remote.room) ?? 0) + remote.sends);
  }
  let probeExpected = -sum((r) => r.probeOwnSends);
  for (const [room, probes] of probesByRoom) probeExpected += probes * (sendsByRoom.get(room) ?? 0);
  const probeDelivered = sum((r) => r.probeDelivered);

  const localSends = sum((r) => r.sends);
  const sends = localSends + (remote?.sends ?? 0);
  // Connections that count without decoding see entries; a coalesced entry of ours covers
  // several patches. Scale their count by the probes' patches per entry (exactly 1 for the peers).
  const probeEntries = sum((r) => r.probeEntries);
  const probePatches = sum((r) => r.probePatches);
  const patchesPerEntry = probeEntries > 0 ? probePatches / probeEntries : 1;
  const updates = sum((r) => r.updates) * patchesPerEntry + probePatches;
  const frames = sum((r) => r.frames);
  const latency = mergeHistograms(reports.map((r) => r.latency));
  const ack = mergeHistograms(reports.map((r) => r.ack));
  const viaPod = mergeHistograms(reports.map((r) => r.latencyViaPod));
  const sendLag = mergeHistograms(reports.map((r) => r.sendLag));
  const errors = {};
  for (const r of reports) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  const generatorCpuUs = m.generatorCpuUs;
  const perUnit = (total, n) => (total === null || n === 0 ? null : total / n);
  const cpuUs = m.serverCpuUs;

  return {
    windowS,
    connected: m.connected,
    connectFailures: m.connectFailures,
    connectS: m.connectS,
    drainS: m.drainS,
    offeredPerS: sends / windowS,
    expectedDeliveriesPerS: expected / windowS,
    deliveredPerS: updates / windowS,
    // With views (L1) a connection gets only what its view holds: the probes' in-view figure applies.
    deliveredRatio: m.run?.views ? null : expected > 0 ? updates / expected : null,
    join: {
      seconds: m.connectS,
      snapshotBytesMean: sum((r) => r.joinSnapshotBytes) / Math.max(1, m.connected),
      snapshotBytesMax: Math.max(0, ...reports.map((r) => r.joinSnapshotBytesMax ?? 0)),
    },
    probe: {
      expected: probeExpected,
      delivered: probeDelivered,
      lossRatio: probeExpected > 0 ? Math.max(0, 1 - probeDelivered / probeExpected) : null,
    },
    framesPerS: frames / windowS,
    patchesPerEntry,
    latency: latencyFigures(latency, Math.max(0, probeExpected - probeDelivered), m.drainS * 1000),
    ackRtt: latencyFigures(ack),
    // Delivered updates of senders on the synthetic edge (the slice scenario): through the pod.
    latencyViaPod: latencyFigures(viaPod),
    sendLagP99Ms: sendLag.totalCount ? sendLag.getValueAtPercentile(99) / 1000 : null,
    server: {
      processes: m.serverProcesses,
      coresAvailable: m.serverCoresAvailable,
      cpuUs,
      cores: cpuUs === null ? null : cpuUs / m.cpuWindowUs,
      cpuUsPerDeliveredUpdate: perUnit(cpuUs, updates),
      cpuUsPerFrame: perUnit(cpuUs, frames),
      redisCpuUs: m.redisCpuUs,
      foreignCores: m.foreignCpuUs === null ? null : Math.max(0, m.foreignCpuUs) / m.cpuWindowUs,
      softirqCores: m.softirqCpuUs == null ? null : m.softirqCpuUs / m.cpuWindowUs,
      rssIdleBytes: m.rss?.idle ?? null,
      rssLoadedBytes: m.rss?.loaded ?? null,
      rssEndBytes: m.rss?.end ?? null,
      rssPeakBytes: m.rss?.hwm ?? null,
      rssPerConnBytes: m.rss ? (m.rss.loaded - m.rss.idle) / m.connected : null,
    },
    wire: {
      timestampBytes: reports[0]?.timestampBytes ?? 0,
      bytesPerDeliveredUpdate: perUnit(
        sum((r) => r.bytes),
        updates,
      ),
      // Per update *entry* on the wire: a coalesced entry is one update message covering
      // several patches, and carries one timestamp.
      bytesPerDeliveredEntry: perUnit(
        sum((r) => r.bytes),
        updates / patchesPerEntry,
      ),
      bytesPerSentUpdate: perUnit(
        sum((r) => r.sendBytes),
        localSends,
      ),
      bytesPerFrame: perUnit(
        sum((r) => r.bytes),
        frames,
      ),
      updatesPerFrame: perUnit(updates, frames),
    },
    generator: {
      processes: m.workers,
      pinned: m.workersPinned,
      compiledReceivers: m.compiledReceivers ?? 0,
      cores: generatorCpuUs / m.cpuWindowUs,
    },
    errors,
    unexpectedCloses: sum((r) => r.unexpectedCloses),
    cdf: latency.totalCount ? CDF_PERCENTILES.map((p) => [latency.getValueAtPercentile(p) / 1000, p]) : [],
    bins: bins(latency),
    histogram: hdr.encodeIntoCompressedBase64(latency),
  };
}
