#!/usr/bin/env node
// Receive benchmark (docs/BENCHMARKS.md#receive-cost): what a client spends to receive.
// One room on a local server; a sender process moves 10 cursors at 20 Hz; a measured
// process holds 100 clients that only listen and reports its CPU per received update.
// Run for our SDK (`collabblocks dev`) and for socket.io-client (the Socket.IO peer
// server), interleaved round by round; then the React run: one SDK client drawing the
// room's 100 cursors with <LiveCursors /> in jsdom, CPU per rendered cursor update.
//   npm run bench:receive -- [--rounds 3] [--duration 10] [--warmup 3] [--clients ours,socketio,react]
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { stopChild, trackChild } from "./lib/server-process.mjs";
import { TARGETS } from "./lib/targets.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WORKER = path.join(HERE, "lib/receive-worker.mjs");
/** The shape: 100 receiving clients, 10 senders at 20 Hz. */
const RECEIVERS = 100;
const SENDERS = 10;
const HZ = 20;

const { values: o } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "3" },
    clients: { type: "string", default: "ours,socketio,react" },
    "cpu-prof": { type: "boolean", default: false },
  },
});
const log = (s) => process.stderr.write(`${s}\n`);

/** Starts a worker; resolves its handle once it printed `ready`. */
function worker(args, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, WORKER, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  trackChild(child);
  const lines = [];
  const waiters = [];
  let buf = "";
  child.stdout.on("data", (c) => {
    buf += c.toString();
    let i = buf.indexOf("\n");
    while (i >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      i = buf.indexOf("\n");
      if (!line.startsWith("{")) continue;
      const msg = JSON.parse(line);
      lines.push(msg);
      for (const w of waiters.splice(0)) w();
    }
  });
  const next = (event) =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = lines.find((l) => l.event === event);
        if (found) return resolve(found);
        if (child.exitCode !== null)
          return reject(new Error(`worker ${args.join(" ")} exited ${child.exitCode}`));
        waiters.push(check);
      };
      child.once("exit", () => check());
      check();
    });
  return { child, next };
}

async function runOnce(client, url, room, opts) {
  const react = client === "react";
  const sdk = react ? "ours" : client;
  const common = ["--client", sdk, "--url", url, "--room", room, "--hz", String(HZ)];
  // React: the room holds 100 cursors (10 of them moving); the measured process is one client.
  const sender = worker([
    ...common,
    "--role",
    "send",
    "--conns",
    String(react ? RECEIVERS : SENDERS),
    "--senders",
    String(SENDERS),
  ]);
  try {
    await sender.next("ready");
    const measured = worker(
      [
        ...common,
        "--role",
        react ? "react" : "receive",
        "--conns",
        String(react ? 1 : RECEIVERS),
        "--warmup",
        opts.warmup,
        "--duration",
        opts.duration,
      ],
      opts.cpuProf ? ["--cpu-prof", "--cpu-prof-dir", path.join(HERE, "results/cpu-prof")] : [],
    );
    const result = await measured.next("result");
    // It exits by itself after its result (a SIGTERM now would lose a --cpu-prof profile).
    if (measured.child.exitCode === null) await new Promise((r) => measured.child.once("exit", r));
    return result;
  } finally {
    await stopChild(sender.child);
  }
}

async function main() {
  const clients = o.clients.split(",").map((c) => c.trim());
  for (const c of clients)
    if (!["ours", "socketio", "react"].includes(c)) throw new RangeError(`unknown client ${c}`);
  const servers = {};
  const started = [];
  try {
    if (clients.includes("ours") || clients.includes("react")) {
      const s = await TARGETS.ours.start({ processes: 1, cpus: null, mode: "dev", tickMs: 16 });
      started.push(...s.servers);
      servers.ours = servers.react = s.servers[0].url;
    }
    if (clients.includes("socketio")) {
      const s = await TARGETS.socketio.start({ processes: 1, cpus: null });
      started.push(...s.servers);
      servers.socketio = s.servers[0].url;
    }
    const results = Object.fromEntries(clients.map((c) => [c, []]));
    for (let round = 0; round < Number(o.rounds); round++) {
      for (const c of clients) {
        const r = await runOnce(c, servers[c], `receive-${round}-${c}`, { ...o, cpuProf: o["cpu-prof"] });
        results[c].push(r);
        log(
          `round ${round + 1} ${c}: ${r.updates} ${c === "react" ? "cursor renders" : "updates"} in ${(r.elapsedMs / 1000).toFixed(1)} s, ${r.cores.toFixed(3)} cores, ${r.usPerUpdate?.toFixed(1)} µs CPU each`,
        );
      }
    }
    log("\nclient    | µs CPU per update (each round)      | median");
    for (const c of clients) {
      const us = results[c].map((r) => r.usPerUpdate);
      const sorted = [...us].sort((a, b) => a - b);
      log(
        `${c.padEnd(9)} | ${us
          .map((u) => u.toFixed(1))
          .join(", ")
          .padEnd(35)} | ${sorted[Math.floor(sorted.length / 2)].toFixed(1)}`,
      );
    }
    process.stdout.write(`${JSON.stringify({ event: "receive-done", results })}\n`);
  } finally {
    await Promise.all(started.map((s) => s.stop()));
  }
}

main().catch((err) => {
  log(err.stack);
  process.exit(1);
});
