// Runs one target through one load shape: start its server(s), connect every
// client through the generator processes, send for warm-up + window, drain,
// collect, stop. Server CPU and memory come from /proc; everything else from the
// generator processes' reports.
import { fork } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startProfiles, stopProfiles } from "./cpu-profile.mjs";
import { flameFromProfile } from "./flame-graph.mjs";
import { cpuList, cpusBusyUs, cpuTimes, memory, pinning, pinPid, sumCpuUs, sumRss } from "./proc-stats.mjs";
import { startRedis } from "./redis.mjs";
import { NotAvailableError, trackChild } from "./server-process.mjs";
import { slicePlan, startSyntheticEdge } from "./slice.mjs";
import { summarize } from "./summary.mjs";
import { TARGETS } from "./targets.mjs";

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), "load-worker.mjs");
/** Connections per generator process before another one is added (each stays far below 20 000 fds). */
const CONNS_PER_WORKER = 2500;
const MAX_WORKERS = 4;
/** Lead time between the start message and the first send, µs: lets every worker get the message. */
const START_LEAD_US = 300_000;
/** Drain: poll every DRAIN_POLL_MS; done once nothing new arrived for two polls, or after DRAIN_MAX_MS. */
const DRAIN_POLL_MS = 250;
const DRAIN_MAX_MS = 5_000;
/** Fraction of the connections that must join for a run to be measured. */
const MIN_JOINED = 0.99;
/** Settle time after the servers start before the idle RSS is read, ms. */
const SETTLE_MS = 500;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function createClock() {
  const base = process.hrtime();
  return {
    base,
    nowUs() {
      const [s, ns] = process.hrtime();
      return (s - base[0]) * 1e6 + (ns - base[1]) / 1e3;
    },
  };
}

/**
 * Client i: room i mod rooms, so the first `senders` clients spread evenly over
 * the rooms. Every `conns/probes`-th client is a probe (client 0, a sender, always
 * is): probes decode every frame and time every update; the others only count.
 */
export function planConnections({ conns, senders, rooms, probes, views, seeAll }, servers) {
  const probeEvery = Math.max(1, Math.floor(conns / Math.max(1, probes)));
  return Array.from({ length: conns }, (_, i) => {
    const server = servers[i % servers.length];
    const sender = i < senders;
    const probe = i % probeEvery === 0;
    return {
      gid: i,
      room: `bench-${i % rooms}`,
      sender,
      probe,
      host: server.host,
      port: server.port,
      ...(views ? viewportPlan(sender || probe) : {}),
      ...(seeAll ? { seeAll: true } : {}),
    };
  });
}

/**
 * L1's layout (PROTOCOL.md §8): a 10 000 × 10 000 canvas as cursor coordinates in
 * [0, 1]; each viewport is 1 % of it (0.1 × 0.1). Probes look at the hot zone, where
 * the senders walk, so every sent update is in every probe's view; everyone else
 * looks at a random viewport and sits still at a random point.
 */
export const L1_HOT_ZONE = { x0: 0.45, y0: 0.45, x1: 0.55, y1: 0.55 };
/** Where senders walk: inside the hot zone by a margin, so they never leave a probe's window. */
export const L1_WALK_ZONE = { x0: 0.46, y0: 0.46, x1: 0.54, y1: 0.54 };
const VIEWPORT = 0.1;

function viewportPlan(hot) {
  const x0 = Math.random() * (1 - VIEWPORT);
  const y0 = Math.random() * (1 - VIEWPORT);
  return {
    viewRect: hot ? L1_HOT_ZONE : { x0, y0, x1: x0 + VIEWPORT, y1: y0 + VIEWPORT },
    walkZone: L1_WALK_ZONE,
    rest: { x: Math.random(), y: Math.random() },
  };
}

function createWorker(pin) {
  // BENCH_WORKER_ARGS: extra node flags for the load processes (e.g. "--cpu-prof"), to profile the generator.
  const execArgv = process.env.BENCH_WORKER_ARGS?.split(" ").filter(Boolean) ?? [];
  const child = fork(WORKER, [], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv });
  trackChild(child);
  const pinned = pinPid(child.pid, pin.generatorCpus, pin);
  const waiters = new Map();
  const progress = { ok: 0 };
  child.on("message", (msg) => {
    if (msg.type === "connect-progress") progress.ok = msg.ok;
    const w = waiters.get(msg.type);
    if (w !== undefined) {
      waiters.delete(msg.type);
      w(msg);
    }
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return {
    pid: child.pid,
    pinned,
    progress,
    request(msg, replyType) {
      return new Promise((resolve, reject) => {
        waiters.set(replyType, resolve);
        exited.then(() => reject(new Error(`load worker exited during ${msg.type}`)));
        child.send(msg);
      });
    },
    send: (msg) => child.send(msg),
    async close() {
      if (child.exitCode === null) child.send({ type: "close" });
      await Promise.race([exited, sleep(3000).then(() => child.kill("SIGKILL"))]);
    },
  };
}

/**
 * @param {{target: string, run: object, opts: object, log: (s: string) => void}} p
 *   run: {label, conns, senders, hz, rooms, processes, slice?, roomSize?};
 *   opts: {mode, tickMs, warmupS, durationS, probes, url, workers, cpuProf, out, receiver}
 *   run.slice (S3slice): one split-mode edge on the server core holds `conns` of a room of
 *   `roomSize`; the pod, its Redis and the synthetic edge (the rest of the room) run on the
 *   generator's cores, and only the edge is the measured server (slice.mjs).
 */
export async function runTarget({ target: name, run, opts, log }) {
  const target = TARGETS[name];
  const pin = pinning();
  const plan = run.slice ? slicePlan(run) : null;
  const mode = plan ? "split" : name.startsWith("ours") ? oursMode(opts.mode, run.processes) : null;
  const result = { target: name, run, mode, pinned: pin.enabled };
  if (plan && (name !== "ours" || opts.url))
    return { ...result, status: "unavailable", reason: "the slice scenario runs ours' split mode only" };
  let redis = null;
  let started = null;
  const workers = [];
  try {
    ({ redis, started } = await startTarget({ name, target, run, opts, pin, mode, plan }));
  } catch (err) {
    if (err instanceof NotAvailableError) return { ...result, status: "unavailable", reason: err.message };
    throw err;
  }
  const serverPids = (plan ? started.servers : started.measured).map((s) => s.pid).filter(Boolean);
  const allPids = redis ? [...serverPids, redis.pid] : serverPids;
  // Processes on the server's core: its busy time beyond theirs is interference.
  const coreMates = plan ? serverPids : allPids;
  let synthetic = null;
  try {
    await sleep(SETTLE_MS);
    const rssIdle = sumRss(serverPids);
    const clock = createClock();
    if (plan) {
      synthetic = await startSyntheticEdge({
        pin,
        base: clock.base,
        pod: started.podAddress,
        room: "bench-0",
        plan,
      });
      log(
        `  ${name}: synthetic edge holds ${plan.remoteMembers} members (${plan.remoteSenders} senders) on the pod`,
      );
    }
    const senders = plan ? plan.localSenders : run.senders;
    const specs = planConnections({ ...run, senders, probes: opts.probes }, started.servers);
    const nWorkers =
      opts.workers ?? Math.min(MAX_WORKERS, Math.max(1, Math.ceil(run.conns / CONNS_PER_WORKER)));
    for (let i = 0; i < nWorkers; i++) workers.push(createWorker(pin));
    const { ok, failed, connectS, firstError } = await connectAll({
      workers,
      specs,
      protocol: target.protocol,
      base: clock.base,
      tokenUrl: started.tokenUrl,
      connectTimeoutS: opts.connectTimeoutS,
      receiver: opts.receiver,
      say: (s) => log(`  ${name}: ${s}`),
    });
    // Measuring a partly joined room would report a different scenario: say so instead.
    if (ok < run.conns * MIN_JOINED) {
      return {
        ...result,
        status: "failed",
        reason: `only ${ok} of ${run.conns} joined in ${connectS.toFixed(0)} s (${firstError})`,
        connected: ok,
        connectS,
      };
    }
    const rssLoaded = sumRss(serverPids);

    const sendStartUs = clock.nowUs() + START_LEAD_US;
    const windowStartUs = sendStartUs + opts.warmupS * 1e6;
    const windowEndUs = windowStartUs + opts.durationS * 1e6;
    const startMsg = { type: "start", sendStartUs, windowStartUs, windowEndUs, hz: run.hz };
    for (const w of workers) w.send(startMsg);
    synthetic?.send(startMsg);
    await sleep((windowStartUs - clock.nowUs()) / 1000);
    const profiling = opts.cpuProf ? await startProfiles(started.measured) : [];
    const readCpu = cpuReader(pin, clock, {
      generator: workers.flatMap((w) => (w.receiverPid ? [w.pid, w.receiverPid] : [w.pid])),
      server: serverPids,
      all: allPids,
      mates: coreMates,
      pod: plan ? started.pods.map((p) => p.pid) : [],
      synthetic: synthetic ? [synthetic.pid] : [],
    });
    const cpu0 = readCpu();
    await sleep((windowEndUs - clock.nowUs()) / 1000);
    const cpu1 = readCpu();
    const profiles = await stopProfiles(
      profiling,
      path.join(opts.out ?? ".", "cpu-prof"),
      `${run.label}-${name}-${new Date().toISOString()}`.replace(/[^\w.-]+/g, "_"),
    );
    const rssEnd = sumRss(serverPids);
    const hwm = serverPids.reduce((s, pid) => s + (memory(pid)?.hwm ?? 0), 0);

    const drainS = await drain(workers);
    const reports = (await Promise.all(workers.map((w) => w.request({ type: "report" }, "report")))).map(
      (r) => r.report,
    );
    const remote = synthetic ? (await synthetic.request({ type: "report" }, "report")).report : null;
    const windowCores = (key) => (cpu1[key] - cpu0[key]) / (cpu1.at - cpu0.at);
    return {
      ...result,
      status: "ok",
      ...summarize({
        run,
        reports,
        windowUs: windowEndUs - windowStartUs,
        ...cpuFigures(cpu0, cpu1, { external: Boolean(opts.url), redis: redis !== null }),
        remoteSends: remote ? { room: remote.room, sends: remote.sends } : null,
        serverProcesses: serverPids.length,
        serverCoresAvailable: pin.enabled ? 1 : pin.cores,
        rss: opts.url ? null : { idle: rssIdle, loaded: rssLoaded, end: rssEnd, hwm },
        connected: ok,
        connectFailures: failed,
        connectS,
        drainS,
        workers: workers.length,
        workersPinned: workers.every((w) => w.pinned),
        // Compiled receivers in use (--receiver c): their CPU is counted in the generator's.
        compiledReceivers: workers.filter((w) => w.receiverPid).length,
      }),
      ...(plan && { slice: sliceFigures(plan, remote, windowCores) }),
      ...(profiles.length > 0 && {
        profiles: profiles.map((p) => ({ label: p.label, file: p.file, flame: flameFromProfile(p.profile) })),
      }),
    };
  } finally {
    await synthetic?.close();
    await Promise.all(workers.map((w) => w.close()));
    const all = new Set([...started.servers, ...(started.extra ?? []), ...started.measured]);
    await Promise.all([...all].map((s) => s.stop?.()));
    await redis?.stop();
  }
}

/** Starts a target's server processes (and Redis when it needs it); stops what started if one fails. */
async function startTarget({ name, target, run, opts, pin, mode, plan }) {
  if (opts.url) return { redis: null, started: externalServer(name, opts.url) };
  // The slice's pod and Redis stand for other machines: off the measured edge's core.
  const sideCpus = plan ? pin.generatorCpus : pin.serverCpus;
  const redis = target.needsRedis({ processes: run.processes, mode }) ? await startRedis(sideCpus) : null;
  try {
    const started = await target.start({
      processes: run.processes,
      cpus: pin.serverCpus,
      generatorCpus: pin.generatorCpus,
      podCpus: sideCpus,
      inspect: opts.cpuProf === true,
      floor: run.floor,
      mode,
      redisUrl: redis?.url,
      tickMs: opts.tickMs,
    });
    return { redis, started };
  } catch (err) {
    await redis?.stop();
    throw err;
  }
}

/**
 * Has every worker get its share of the connections their credentials (not timed
 * as joining: load-worker.mjs prepareAll), then open them; logs progress every 10 s.
 * Returns how many joined, failed and how long the joins took.
 */
async function connectAll({ workers, specs, protocol, base, tokenUrl, connectTimeoutS, receiver, say }) {
  const tPrepare = Date.now();
  const prepared = await Promise.all(
    workers.map((w, i) =>
      w.request(
        {
          type: "prepare",
          protocol,
          base,
          conns: specs.filter((_, j) => j % workers.length === i),
          ctx: { tokenUrl },
          deadlineMs: tPrepare + connectTimeoutS * 1000,
          receiver,
        },
        "prepared",
      ),
    ),
  );
  // A compiled receiver's CPU is the generator's too.
  prepared.forEach((p, i) => {
    workers[i].receiverPid = p.receiverPid;
  });
  const unprepared = prepared.reduce((s, p) => s + p.failed, 0);
  say(
    `credentials for ${specs.length - unprepared}/${specs.length} in ${((Date.now() - tPrepare) / 1000).toFixed(1)} s (before the join clock)`,
  );
  const t0 = Date.now();
  const progressLog = setInterval(() => {
    const ok = workers.reduce((sum, w) => sum + w.progress.ok, 0);
    say(`${ok}/${specs.length} joined after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }, 10_000);
  const connected = await Promise.all(
    workers.map((w) => w.request({ type: "connect", deadlineMs: t0 + connectTimeoutS * 1000 }, "connected")),
  ).finally(() => clearInterval(progressLog));
  const ok = connected.reduce((s, c) => s + c.ok, 0);
  const failed = connected.reduce((s, c) => s + c.failed, 0);
  const connectS = (Date.now() - t0) / 1000;
  const firstError = connected.find((c) => c.firstError)?.firstError;
  say(
    `${ok}/${specs.length} connected in ${connectS.toFixed(1)} s${failed ? ` (${failed} failed: ${firstError})` : ""}`,
  );
  return { ok, failed, connectS, firstError };
}

/**
 * Reads CPU time of each group of pids, the generator's CPUs' busy time and the server
 * core's, at one instant. The generator's CPU is read from /proc at the same instants as
 * the servers' (a busy worker's own timers would fire late and stretch its window).
 */
function cpuReader(pin, clock, groups) {
  const serverCore = pin.enabled ? Number(pin.serverCpus) : null;
  const generatorCpus = cpuList(pin.generatorCpus);
  return () => {
    const out = {};
    for (const [key, pids] of Object.entries(groups)) out[key] = sumCpuUs(pids);
    out.generatorCores = cpusBusyUs(generatorCpus);
    out.core = serverCore === null ? null : cpuTimes(serverCore);
    out.at = clock.nowUs();
    return out;
  };
}

/** The window's CPU figures for summarize(), from two cpuReader() readings. */
function cpuFigures(cpu0, cpu1, { external, redis }) {
  const core = cpu0.core !== null && !external;
  return {
    cpuWindowUs: cpu1.at - cpu0.at,
    serverCpuUs: external ? null : cpu1.server - cpu0.server,
    generatorCpuUs: cpu1.generator - cpu0.generator,
    redisCpuUs: redis ? cpu1.all - cpu0.all - (cpu1.server - cpu0.server) : null,
    // Busy time of the server core not spent in the processes pinned to it (measured ones, Redis).
    foreignCpuUs: core ? cpu1.core.busyUs - cpu0.core.busyUs - (cpu1.mates - cpu0.mates) : null,
    softirqCpuUs: core ? cpu1.core.softirqUs - cpu0.core.softirqUs : null,
  };
}

/** Waits until nothing new arrived for two polls, or DRAIN_MAX_MS; returns the drain's seconds. */
async function drain(workers) {
  const drainStart = Date.now();
  let last = -1;
  let quiet = 0;
  while (Date.now() - drainStart < DRAIN_MAX_MS && quiet < 2) {
    await sleep(DRAIN_POLL_MS);
    const seen = (await Promise.all(workers.map((w) => w.request({ type: "progress" }, "progress")))).reduce(
      (s, p) => s + p.seen,
      0,
    );
    quiet = seen === last ? quiet + 1 : 0;
    last = seen;
  }
  return (Date.now() - drainStart) / 1000;
}

/** The slice scenario's own figures: the plan, the synthetic edge's report, the side processes' cores. */
function sliceFigures(plan, remote, windowCores) {
  return {
    ...plan,
    remoteSends: remote.sends,
    remoteReceived: remote.received,
    podCores: windowCores("pod"),
    syntheticCores: windowCores("synthetic"),
    generatorCoresBusy: windowCores("generatorCores"),
  };
}

function oursMode(mode, processes) {
  if (processes > 1 && mode === "dev") return "redis";
  return mode;
}

/** --url: a server someone else started. Its CPU and memory are not measured. */
function externalServer(name, url) {
  if (name !== "ours") throw new NotAvailableError("--url only applies to ours");
  const u = new URL(url);
  const server = { host: u.hostname, port: Number(u.port || 80), url, pid: null };
  return { servers: [server], measured: [], tokenUrl: url };
}
