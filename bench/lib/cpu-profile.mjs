// `--cpu-prof`: profiles the measured server processes during the measured window
// only (not their start-up or the clients' joins), through the inspector each was
// started with (server-process.mjs `inspect`): Profiler.start when the window opens,
// Profiler.stop when it closes. The result is the .cpuprofile `node --cpu-prof`
// writes, opened by Chrome DevTools or speedscope; the HTML report draws it
// (flame-graph.mjs).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import WebSocket from "ws";

/** Sampling interval, µs: V8's default of `--cpu-prof` is 1000; 500 sees short functions better. */
export const PROFILE_INTERVAL_US = 500;
/** How long one inspector command may take, ms (Profiler.stop serialises the whole profile). */
const COMMAND_TIMEOUT_MS = 30_000;

function openSession(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1 << 30 });
    const pending = new Map();
    let nextId = 1;
    ws.on("message", (data) => {
      const msg = JSON.parse(data.toString());
      const p = pending.get(msg.id);
      if (p === undefined) return;
      pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
      else p.resolve(msg.result);
    });
    ws.once("error", reject);
    ws.once("open", () =>
      resolve({
        call(method, params = {}) {
          const id = nextId++;
          ws.send(JSON.stringify({ id, method, params }));
          return new Promise((res, rej) => {
            const timer = setTimeout(() => rej(new Error(`${method}: no answer`)), COMMAND_TIMEOUT_MS);
            pending.set(id, {
              method,
              resolve: (v) => {
                clearTimeout(timer);
                res(v);
              },
              reject: (e) => {
                clearTimeout(timer);
                rej(e);
              },
            });
          });
        },
        close: () => ws.close(),
      }),
    );
  });
}

/** Starts the profiler in every server that has an inspector; returns the running profiles. */
export async function startProfiles(servers) {
  const running = [];
  for (const s of servers) {
    if (!s.inspectorUrl) continue;
    const session = await openSession(s.inspectorUrl);
    await session.call("Profiler.enable");
    await session.call("Profiler.setSamplingInterval", { interval: PROFILE_INTERVAL_US });
    await session.call("Profiler.start");
    running.push({ server: s, session });
  }
  return running;
}

/**
 * Stops the profiles and writes each to `dir` as `<stem>-<label>.cpuprofile`.
 * Returns [{label, file, profile}].
 */
export async function stopProfiles(running, dir, stem) {
  const out = [];
  if (running.length > 0) mkdirSync(dir, { recursive: true });
  for (const { server, session } of running) {
    try {
      const { profile } = await session.call("Profiler.stop");
      const file = path.join(dir, `${stem}-${server.label.replace(/[^\w.-]+/g, "_")}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      out.push({ label: server.label, file, profile });
    } finally {
      session.close();
    }
  }
  return out;
}
