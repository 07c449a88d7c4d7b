// The views tier's share of L1's join storm, in one process, without sockets:
// `npm run bench:views [-- --conns N --repeat R]`. 10 000 members join one room,
// each declaring a 1 % viewport of the canvas and sitting at a random point
// (bench/lib/run-target.mjs L1 layout, seeded); between joins the room routes
// as its flushes would, every occupancy interval with every viewer written anyway
// (edge/occupancy-notifier.ts). What it times is selection, holdings, the
// interest index and routing (packages/server/src/views) — about half of a join's
// CPU in L1's profile — to the microsecond and repeatably, where a whole L1 run
// swings 2× with the machine (docs/BENCHMARKS.md, L1). Sockets, tokens and
// encoding are not in it: `npm run bench -- --scenario L1` measures those.
import { parseArgs } from "node:util";
import { occupancyInterval } from "../packages/server/dist/edge/occupancy-notifier.js";
import { createRoomViews } from "../packages/server/dist/views/room-views.js";

const { values } = parseArgs({
  options: {
    conns: { type: "string", default: "10000" },
    repeat: { type: "string", default: "5" },
    /** Joins between two routes (L1's storm: about 10 per 16 ms flush). */
    "joins-per-flush": { type: "string", default: "10" },
    /** Simulated time per join, ms (L1 at 10 s for 10 000 joins: 1 ms). */
    "join-ms": { type: "string", default: "1" },
  },
});
const conns = Number(values.conns);
const repeat = Number(values.repeat);
const perFlush = Number(values["joins-per-flush"]);
const joinMs = Number(values["join-ms"]);

/** A small deterministic generator (mulberry32), so every run joins the same room. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VIEWPORT = 0.1;

function storm() {
  const rnd = random(42);
  const replica = new Map();
  let now = 0;
  const views = createRoomViews({
    largeRoomThreshold: 1000,
    stateOf: (cid) => replica.get(cid),
    now: () => now,
  });
  let pending = [];
  let nextOccupancy = 0;
  let routed = 0;
  const flush = () => {
    let anyway;
    if (now >= nextOccupancy) {
      anyway = new Set(replica.keys());
      nextOccupancy = now + occupancyInterval(replica.size);
    }
    for (const list of views.route(pending, anyway).values()) routed += list.length;
    pending = [];
  };
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < conns; i++) {
    const cid = `c${i}`;
    const x0 = rnd() * (1 - VIEWPORT);
    const y0 = rnd() * (1 - VIEWPORT);
    const state = { cursor: { x: rnd(), y: rnd() } };
    const peer = { connectionId: cid, userId: `u${i}`, epoch: 1, clock: 1, state };
    replica.set(cid, peer);
    const enter = { kind: "enter", connectionId: cid, userId: peer.userId, epoch: 1, clock: 1, state };
    views.observe(enter, peer);
    views.addViewer(cid, {
      everyone: false,
      rect: { x0, y0, x1: x0 + VIEWPORT, y1: y0 + VIEWPORT },
      field: "cursor",
      pinned: [],
      cap: 100,
      roster: 0,
    });
    views.snapshotFor(cid);
    pending.push(enter);
    now += joinMs;
    if ((i + 1) % perFlush === 0) flush();
  }
  flush();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, routed };
}

const runs = [];
let routedPerRun = 0;
for (let r = 0; r < repeat; r++) {
  const { ms, routed } = storm();
  runs.push(ms);
  routedPerRun = routed;
  console.log(
    `run ${r + 1}: ${ms.toFixed(0)} ms, ${((ms * 1000) / conns).toFixed(1)} µs per join, ${routed} entries routed`,
  );
}
runs.sort((a, b) => a - b);
const median = runs[Math.floor(runs.length / 2)];
console.log(
  JSON.stringify({
    conns,
    repeat,
    routed: routedPerRun,
    medianMs: Math.round(median),
    medianUsPerJoin: Number(((median * 1000) / conns).toFixed(1)),
    bestUsPerJoin: Number(((runs[0] * 1000) / conns).toFixed(1)),
  }),
);
