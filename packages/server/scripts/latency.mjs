// Sender → receiver latency in one room on loopback (the bench's S1/S2 shapes, docs/BENCHMARKS.md):
//   node packages/server/scripts/latency.mjs --clients 100 --senders 10 --hz 20 --seconds 10
// The server runs as its own process (`collabblocks dev`); all clients run here,
// so send and receive times share one clock. Prints one JSON line.
import { cpuMsOf, devToken, flags, openClient, percentile, startDevServer } from "./lib.mjs";

const opt = flags({ clients: 100, senders: 10, hz: 20, seconds: 10, room: "latency", "tick-ms": 16 });
const server = await startDevServer(["--tick-ms", String(opt["tick-ms"])]);
const latencies = [];
let expected = 0;
let measuring = false;
const onBatch = (entries, at, self) => {
  if (!measuring) return;
  for (const e of entries) {
    if (e.kind === "update" && e.connectionId !== self && typeof e.set.t === "number")
      latencies.push(at - e.set.t);
  }
};
const clients = [];
for (let i = 0; i < opt.clients; i++) {
  const token = await devToken(server.url, opt.room, `user-${i}`);
  clients.push(await openClient(server.wsUrl, opt.room, token, onBatch));
}
await new Promise((r) => setTimeout(r, 500));
measuring = true;
const cpu0 = cpuMsOf(server.pid);
const senders = clients.slice(0, opt.senders);
const period = 1000 / opt.hz;
const end = performance.now() + opt.seconds * 1000;
await Promise.all(
  senders.map(async (s, n) => {
    await new Promise((r) => setTimeout(r, (n / senders.length) * period));
    while (performance.now() < end) {
      s.send({ cursor: { x: Math.random(), y: Math.random() }, t: performance.now() });
      expected += opt.clients - 1;
      await new Promise((r) => setTimeout(r, period));
    }
  }),
);
await new Promise((r) => setTimeout(r, 1000));
const cpuMs = cpuMsOf(server.pid) - cpu0;
measuring = false;
latencies.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    clients: opt.clients,
    senders: opt.senders,
    hz: opt.hz,
    delivered: latencies.length,
    expected,
    p50: +percentile(latencies, 0.5).toFixed(3),
    p95: +percentile(latencies, 0.95).toFixed(3),
    p99: +percentile(latencies, 0.99).toFixed(3),
    max: +latencies[latencies.length - 1].toFixed(3),
    serverCpuPct: +((cpuMs / (opt.seconds * 1000 + 1000)) * 100).toFixed(1),
  }),
);
for (const c of clients) c.ws.terminate();
await server.stop();
