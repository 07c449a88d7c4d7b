// A throwaway redis-server for the multi-process runs: a fresh one per target
// run (no state carried between targets), no persistence, on a free port.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { pinning } from "./proc-stats.mjs";
import { NotAvailableError, stopChild, trackChild } from "./server-process.mjs";
import { freePort } from "./targets.mjs";

const REDIS_SERVER = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].find((p) => existsSync(p));
/** How long redis-server may take to accept connections, ms. */
const READY_TIMEOUT_MS = 10_000;

export async function startRedis(cpus) {
  if (REDIS_SERVER === undefined) throw new NotAvailableError("redis-server not installed");
  const port = await freePort();
  const pin = pinning();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  const [cmd, argv] =
    pin.enabled && cpus !== null ? [pin.taskset, ["-c", cpus, REDIS_SERVER, ...args]] : [REDIS_SERVER, args];
  const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
  trackChild(child);
  await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(
      () => reject(new NotAvailableError(`redis-server not ready: ${out.slice(-300)}`)),
      READY_TIMEOUT_MS,
    );
    child.stdout.on("data", (c) => {
      out += c.toString();
      if (out.includes("Ready to accept connections")) {
        clearTimeout(timer);
        child.stdout.resume();
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new NotAvailableError(`redis-server exited with ${code}: ${out.slice(-300)}`));
    });
  });
  return { pid: child.pid, url: `redis://127.0.0.1:${port}`, stop: () => stopChild(child) };
}
