#!/usr/bin/env node
// Cost of one end-to-end encrypted cursor update on the client (docs/BENCHMARKS.md#e2ee-encrypted-cursor-updates):
// bytes on the wire (UPDATE_PRESENCE frame and BATCH entry, clear vs sealed), and the time and
// CPU of sealing it (sender) and opening it (each receiver), with the SDK's own code
// (packages/client/dist: `npm run build` first). One update at a time, as a cursor at 20 Hz is:
// the wall time is the latency it adds (WebCrypto runs on libuv's thread pool), the CPU time
// (process.cpuUsage: every thread) what it costs.
//   node bench/e2ee-cost.mjs [--updates N (5000)]
import { parseArgs } from "node:util";
import { bytesToByteString, encode, encodeBatchEntry, MessageType, SEALED_KEY } from "@collabblocks/protocol";
import { openState, sealState } from "../packages/client/dist/e2ee-envelope.js";
import { readHeader } from "../packages/client/dist/sealed-header.js";

const { values } = parseArgs({ options: { updates: { type: "string", default: "5000" } } });
const N = Number(values.updates);
const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
const place = { roomId: "doc-42", connectionId: "KaliceAAAAAAAAAAAAAAAAA" };
const cursorAt = (i) => ({ x: ((i * 37) % 1280) / 1280, y: ((i * 11) % 720) / 720 });

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function timed(label, run) {
  for (let i = 0; i < 500; i++) await run(i); // warm-up: JIT, key schedule, thread pool
  const wall = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const start = performance.now();
    await run(i);
    wall.push((performance.now() - start) * 1000);
  }
  const elapsed = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  wall.sort((a, b) => a - b);
  const row = {
    label,
    p50Us: percentile(wall, 0.5),
    p95Us: percentile(wall, 0.95),
    p99Us: percentile(wall, 0.99),
    cpuUsPerUpdate: (cpu.user + cpu.system) / N,
    updatesPerS: (N / elapsed) * 1000,
  };
  console.log(
    `${label}: wall p50 ${row.p50Us.toFixed(1)} µs, p95 ${row.p95Us.toFixed(1)} µs, p99 ${row.p99Us.toFixed(1)} µs; ` +
      `CPU ${row.cpuUsPerUpdate.toFixed(1)} µs/update (all threads)`,
  );
  return row;
}

// Bytes: the same cursor update, clear and sealed (counter 1 and 200: the counter is a varint).
const cursor = cursorAt(523);
const sealedBytes = async (counter) =>
  bytesToByteString(await sealState(key, place, { keyId: 0, epoch: 1, counter }, { cursor }));
const frame = (set) => encode({ type: MessageType.UPDATE_PRESENCE, set, del: [] }).length;
const entry = (set) =>
  encodeBatchEntry({
    kind: "update",
    connectionId: place.connectionId,
    epoch: 1,
    base: 41,
    clock: 42,
    set,
    del: [],
  }).length;
const clear = { cursor };
for (const counter of [1, 200]) {
  const sealed = { [SEALED_KEY]: await sealedBytes(counter) };
  console.log(
    `bytes (counter ${counter}): UPDATE_PRESENCE ${frame(clear)} → ${frame(sealed)} B (+${frame(sealed) - frame(clear)}), ` +
      `BATCH entry ${entry(clear)} → ${entry(sealed)} B (+${entry(sealed) - entry(clear)})`,
  );
}

const seal = await timed("seal (sender, per update)", (i) =>
  sealState(key, place, { keyId: 0, epoch: 1, counter: i + 1 }, { cursor: cursorAt(i) }),
);
const samples = await Promise.all(
  Array.from({ length: 64 }, (_, i) =>
    sealState(key, place, { keyId: 0, epoch: 1, counter: i + 1 }, { cursor: cursorAt(i) }),
  ),
);
const headers = samples.map((s) => readHeader(s));
const open = await timed("open (each receiver, per update)", (i) =>
  openState(key, place, headers[i % 64], samples[i % 64]),
);
console.log(
  `added to one update's latency, one at a time (seal + open): p50 ${(seal.p50Us + open.p50Us).toFixed(0)} µs, ` +
    `p95 ${(seal.p95Us + open.p95Us).toFixed(0)} µs`,
);
