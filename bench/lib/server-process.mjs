// Starts one measured server process and waits for its ready line: the JSON
// `{"event":"listening","role":…,"url":…}` every CollabBlocks process prints on
// stdout (docs/OPERATIONS.md#running-modes); the peer servers in bench/peers print the same line.
import { spawn } from "node:child_process";
import { pinning } from "./proc-stats.mjs";

/** How long a server may take to print its ready line, ms. */
const READY_TIMEOUT_MS = 30_000;
/** Grace between SIGTERM and SIGKILL when stopping, ms. */
const STOP_GRACE_MS = 5_000;

export class NotAvailableError extends Error {}

/**
 * Every process this bench started and has not stopped yet: if the coordinator is
 * interrupted (Ctrl-C, a test timeout), they are killed with it instead of
 * lingering with their ports and CPU.
 */
const live = new Set();
let cleanupInstalled = false;

export function trackChild(child) {
  live.add(child);
  child.once("exit", () => live.delete(child));
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.once("exit", () => {
    for (const c of live) c.kill("SIGKILL");
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.once(signal, () => {
      for (const c of live) c.kill("SIGKILL");
      process.exit(130);
    });
  }
}

/**
 * @param {{args: string[], env?: object, cpus?: string|null, label: string, inspect?: boolean}} opts
 *   args: node arguments (script first). cpus: taskset CPU list, null = not pinned.
 *   inspect: open the inspector on a free loopback port (`--cpu-prof` of the bench profiles
 *   the measured window through it, cpu-profile.mjs); its URL is `inspectorUrl`.
 */
export function startServer({ args, env = {}, cpus = null, label, inspect = false }) {
  const pin = pinning();
  // BENCH_SERVER_ARGS: extra node flags for every server process (e.g. "--cpu-prof"), to profile it.
  const nodeArgs = [
    ...(process.env.BENCH_SERVER_ARGS?.split(" ").filter(Boolean) ?? []),
    ...(inspect ? ["--inspect=127.0.0.1:0"] : []),
    ...args,
  ];
  const [cmd, argv] =
    pin.enabled && cpus !== null
      ? [pin.taskset, ["-c", cpus, process.execPath, ...nodeArgs]]
      : [process.execPath, nodeArgs];
  const child = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  trackChild(child);
  let stderr = "";
  child.stderr.on("data", (c) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new NotAvailableError(`${label}: no ready line after ${READY_TIMEOUT_MS} ms. ${lastLine(stderr)}`),
      );
    }, READY_TIMEOUT_MS);
    const onExit = (code) => {
      clearTimeout(timer);
      reject(new NotAvailableError(`${label} exited with ${code}: ${lastLine(stderr) || lastLine(out)}`));
    };
    child.once("exit", onExit);
    child.stdout.on("data", (c) => {
      out += c.toString();
      for (const line of out.split("\n")) {
        if (!line.startsWith("{")) continue;
        let msg;
        try {
          msg = JSON.parse(line);
        } catch {
          continue;
        }
        if (msg.event !== "listening") continue;
        clearTimeout(timer);
        child.off("exit", onExit);
        child.stdout.removeAllListeners("data");
        child.stdout.resume(); // keep draining logs so the server never blocks on a full pipe
        const url = new URL(msg.url);
        resolve({
          pid: child.pid,
          role: msg.role,
          url: msg.url,
          host: url.hostname,
          port: Number(url.port),
          label,
          inspectorUrl: inspect ? (/Debugger listening on (ws:\/\/\S+)/.exec(stderr)?.[1] ?? null) : null,
          stderr: () => stderr,
          stop: () => stopChild(child),
        });
        return;
      }
    });
  });
}

function lastLine(text) {
  return text.trim().split("\n").filter(Boolean).slice(-3).join(" | ");
}

export function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
