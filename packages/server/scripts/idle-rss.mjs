// Memory per idle connection: RSS of a `collabblocks dev` process before and
// after opening N idle connections (default 5 000 over 50 rooms), divided by N.
//   node packages/server/scripts/idle-rss.mjs --connections 5000 --rooms 50
// Prints one JSON line. The clients run in this process; only the server's RSS counts.
import { cpuMsOf, devToken, flags, openClient, rssOf, startDevServer } from "./lib.mjs";

const opt = flags({ connections: 5000, rooms: 50, settleMs: 3000 });
const server = await startDevServer();
await new Promise((r) => setTimeout(r, 1000));
const before = rssOf(server.pid);
const tokens = [];
for (let r = 0; r < opt.rooms; r++) tokens.push(await devToken(server.url, `idle-${r}`, `user-${r}`));
const clients = [];
const BATCH = 100;
const t0 = performance.now();
const cpu0 = cpuMsOf(server.pid);
for (let i = 0; i < opt.connections; i += BATCH) {
  const opening = [];
  for (let j = i; j < Math.min(i + BATCH, opt.connections); j++) {
    const r = j % opt.rooms;
    opening.push(openClient(server.wsUrl, `idle-${r}`, tokens[r]));
  }
  clients.push(...(await Promise.all(opening)));
}
const joinMs = performance.now() - t0;
const joinServerCpuMs = cpuMsOf(server.pid) - cpu0;
// Each client publishes a small realistic presence once, then stays idle.
for (const c of clients) c.send({ cursor: { x: 0.5, y: 0.5 }, status: "idle" });
await new Promise((r) => setTimeout(r, opt.settleMs));
const after = rssOf(server.pid);
console.log(
  JSON.stringify({
    connections: clients.length,
    rooms: opt.rooms,
    rssBeforeMB: +(before / 1e6).toFixed(1),
    rssAfterMB: +(after / 1e6).toFixed(1),
    bytesPerConnection: Math.round((after - before) / clients.length),
    joinSeconds: +(joinMs / 1000).toFixed(1),
    joinServerCpuSeconds: +(joinServerCpuMs / 1000).toFixed(1),
  }),
);
for (const c of clients) c.ws.terminate();
await server.stop();
