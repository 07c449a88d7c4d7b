// The scenarios of the load benchmark (issue 8). A scenario is one or more runs;
// S5 is a sweep of the per-client rate that stops, per target, at the first step
// that misses p95 ≤ 40 ms or full delivery.

/** The DoD bound on sender → receiver p95, ms (docs/ARCHITECTURE.md#goals). */
export const P95_BOUND_MS = 40;
/**
 * A sweep step passes when at most this fraction of the probes' expected updates
 * (sent in the window) had not arrived by the end of the drain.
 */
export const SWEEP_MAX_LOSS = 0.01;

export const SCENARIOS = {
  S1: {
    description: "100 connections in one room, 10 senders @ 20 Hz",
    runs: [{ label: "S1", conns: 100, senders: 10, hz: 20, rooms: 1, processes: 1 }],
  },
  S2: {
    description: "1 000 connections in one room, 50 senders @ 20 Hz",
    runs: [{ label: "S2", conns: 1000, senders: 50, hz: 20, rooms: 1, processes: 1 }],
  },
  S3: {
    description: "10 000 connections in one room, 50 senders @ 20 Hz, with 1 and 2 server processes",
    runs: [
      // Above the large-room threshold a connection without a view gets a roster sample only
      // (PROTOCOL.md §8): S3's clients ask to see everyone, so it stays the worst case.
      { label: "S3 1 process", conns: 10000, senders: 50, hz: 20, rooms: 1, processes: 1, seeAll: true },
      { label: "S3 2 processes", conns: 10000, senders: 50, hz: 20, rooms: 1, processes: 2, seeAll: true },
    ],
  },
  S3slice: {
    description:
      "S3's room of 10 000 (50 senders @ 20 Hz, everyone sees everyone), one edge process on one core holding a slice of it; the rest of the room reaches it through the pod from a synthetic edge",
    targets: ["ours"],
    // After ours: a bare `ws` server writing ours' frames (size and rate) to as many sockets.
    floor: true,
    // The generator's one core also runs the pod, Redis and the synthetic edge here: 100
    // probes decoding ~60 frames/s each saturated it (p95 47 → 30 ms at a 1 000 slice with 20).
    probes: 20,
    runs: [
      {
        label: "S3slice",
        conns: 2500,
        roomSize: 10000,
        senders: 50,
        hz: 20,
        rooms: 1,
        processes: 1,
        seeAll: true,
        slice: true,
      },
    ],
  },
  S4: {
    description: "two server processes + Redis, S2's load (1 000 connections, 50 senders @ 20 Hz)",
    runs: [{ label: "S4", conns: 1000, senders: 50, hz: 20, rooms: 1, processes: 2 }],
  },
  L1: {
    description:
      "10 000 connections join one room, each with a viewport of 1 % of a 10 000 × 10 000 canvas (views, PROTOCOL.md §8); 50 senders random-walk at 20 Hz inside the probes' viewport",
    // Peers have no views: they would send everyone everything (that is S3).
    targets: ["ours"],
    runs: [{ label: "L1", conns: 10000, senders: 50, hz: 20, rooms: 1, processes: 1, views: true }],
  },
  S5: {
    description:
      "the plan's literal load: 10 000 clients in 1 000 rooms of 10, all sending; sweep of the rate up to 20 Hz (200 k updates/s in)",
    // Sub-hertz steps first: on a 2-core machine even 1 Hz (10 k updates/s in) may be too much.
    sweep: [0.2, 0.5, 1, 2, 5, 10, 20],
    runs: [{ label: "S5", conns: 10000, senders: 10000, hz: 20, rooms: 1000, processes: 1 }],
  },
};

/** The runs of a scenario with the command-line overrides applied. */
export function expandScenario(requested, overrides) {
  // Names are matched without case (`--scenario s3slice`), and reported as written here.
  const name = Object.keys(SCENARIOS).find((k) => k.toUpperCase() === requested.toUpperCase());
  const scenario = SCENARIOS[name];
  if (scenario === undefined) throw new RangeError(`unknown scenario ${requested} (S1–S5, S3slice, L1)`);
  const pick = (run) => {
    const out = { ...run };
    for (const key of ["conns", "senders", "rooms", "processes", "hz", "roomSize"]) {
      if (overrides[key] !== undefined) out[key] = overrides[key];
    }
    // A slice's senders are the whole room's (slice.mjs spreads them over the edges).
    out.senders = Math.min(out.senders, out.roomSize ?? out.conns);
    out.rooms = Math.min(out.rooms, out.conns);
    return out;
  };
  const sliced = scenario.runs.some((r) => r.slice);
  if (!sliced && (overrides.slices !== undefined || overrides.roomSize !== undefined))
    throw new RangeError(`--slice and --room-size apply to S3slice only, not ${name}`);
  // An explicit --hz or --processes narrows the scenario to that one shape.
  let runs = scenario.runs.map(pick);
  // --slice N,M,…: one slice run per size, smallest first.
  if (sliced) {
    const sizes = overrides.slices ?? runs.map((r) => r.conns);
    runs = sizes.map((n) => ({ ...runs[0], conns: n, label: `${runs[0].label} ${n}` }));
    const tooBig = runs.find((r) => r.conns >= r.roomSize);
    if (tooBig)
      throw new RangeError(`a slice (${tooBig.conns}) must be smaller than the room (${tooBig.roomSize})`);
  }
  if (overrides.processes !== undefined)
    runs = runs.filter((r, i, all) => all.findIndex((o) => o.processes === r.processes) === i);
  const sweep = scenario.sweep && overrides.hz === undefined ? scenario.sweep : null;
  return {
    name,
    description: scenario.description,
    runs,
    sweep,
    targets: scenario.targets ?? null,
    floor: scenario.floor === true,
    probes: scenario.probes ?? null,
  };
}
