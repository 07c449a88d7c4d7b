// Shared helpers for the measurement scripts (plain JS over the built packages,
// so they run with `node` after `npm run build`).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { decodeServerMessage, encode, MessageType } from "@collabblocks/protocol";
import WebSocket from "ws";

const here = dirname(fileURLToPath(import.meta.url));
export const CLI = resolve(here, "../dist/cli/main.js");

/** Parses `--name value` flags into an object of numbers/strings, with defaults. */
export function flags(defaults) {
  const out = { ...defaults };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, "");
    const raw = argv[i + 1];
    out[name] = typeof defaults[name] === "number" ? Number(raw) : raw;
  }
  return out;
}

/** Starts `collabblocks dev --port 0` in its own process; resolves with {url, wsUrl, pid, stop}. */
export async function startDevServer(extraArgs = []) {
  const child = spawn(process.execPath, [CLI, "dev", "--port", "0", "--log-level", "warn", ...extraArgs], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise((res, rej) => {
    createInterface({ input: child.stdout }).once("line", res);
    child.once("exit", (code) => rej(new Error(`server exited with ${code}`)));
  });
  const { url } = JSON.parse(line);
  return {
    url,
    wsUrl: url.replace("http", "ws"),
    pid: child.pid,
    stop: () =>
      new Promise((res) => {
        child.once("exit", res);
        child.kill("SIGTERM");
      }),
  };
}

export async function devToken(url, room, user) {
  const res = await fetch(`${url}/v1/dev/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ room, user }),
  });
  return (await res.json()).token;
}

/** Resident set size of a process, bytes (Linux /proc). */
export function rssOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
}

/** CPU time (user + system) of a process, ms (Linux /proc; clock ticks of 10 ms). */
export function cpuMsOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * Opens a raw protocol socket; resolves after the join snapshot with
 * {ws, connectionId, send(set)}; `onBatch(entries, at)` sees every batch.
 */
export function openClient(wsUrl, room, token, onBatch) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsUrl}/v1/rooms/${room}?token=${token}`, { perMessageDeflate: false });
    let connectionId;
    ws.on("error", reject);
    ws.on("message", (data) => {
      const at = performance.now();
      const msg = decodeServerMessage(data);
      if (msg.type === MessageType.WELCOME) connectionId = msg.connectionId;
      else if (msg.type === MessageType.SNAPSHOT_DONE && msg.syncId === 0) {
        resolve({
          ws,
          connectionId,
          send: (set) => ws.send(encode({ type: MessageType.UPDATE_PRESENCE, set, del: [] })),
        });
      } else if (msg.type === MessageType.BATCH && onBatch) onBatch(msg.entries, at, connectionId);
      else if (msg.type === MessageType.ERROR) console.error("server error", msg.code, msg.message);
    });
  });
}

export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}
