// `--receiver c`: a load worker's counting-only connections (neither senders nor
// probes) held by the compiled receiver, bench/receiver/receiver.c, instead of the
// worker's own event loop — the generator side of a large slice then costs a
// fraction of a core (docs/BENCHMARKS.md "Running it"). This module builds the
// binary when its source is newer (`cc`, from the machine's build tools) and
// speaks its line protocol (described at the top of receiver.c).
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "receiver");
const SOURCE = path.join(DIR, "receiver.c");
const BINARY = path.join(DIR, "build", "receiver");

/** The receiver's path, compiled first when missing or older than its source. */
export function receiverBinary() {
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= statSync(SOURCE).mtimeMs) return BINARY;
  mkdirSync(path.dirname(BINARY), { recursive: true });
  try {
    execFileSync("cc", ["-O2", "-Wall", "-o", BINARY, SOURCE], { stdio: ["ignore", "ignore", "inherit"] });
  } catch (err) {
    throw new Error(`--receiver c needs a C compiler (cc) to build ${SOURCE}: ${err.message}`);
  }
  return BINARY;
}

/**
 * Starts a receiver for one worker. `events` gets what its connections report:
 * ready(id, snapshotBytes), failed(id, reason), error(id, code).
 */
export function startReceiver(events) {
  const child = spawn(receiverBinary(), [], { stdio: ["pipe", "pipe", "inherit"] });
  let seen = 0;
  const countWaiters = [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    const [kind, a, b, c, d] = line.split(" ");
    if (kind === "R") events.ready(Number(a), Number(b));
    else if (kind === "F") events.failed(Number(a), b);
    else if (kind === "E") events.error(Number(a), b);
    else if (kind === "S") seen = Number(a);
    else if (kind === "C") {
      seen = Number(d);
      countWaiters.shift()?.({ frames: Number(a), bytes: Number(b), updates: Number(c), seen });
    }
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const write = (line) => {
    if (child.exitCode === null && child.stdin.writable) child.stdin.write(`${line}\n`);
  };
  return {
    pid: child.pid,
    /**
     * Opens connection `id` to 127.0.0.1:`port` at `urlPath` (no spaces: it is a percent-encoded
     * path); `joined`, when given, is a binary message (≤ 125 bytes) it sends once joined.
     */
    open(id, port, urlPath, joined = null) {
      if (joined !== null && joined.length > 125)
        throw new RangeError("a joined message is at most 125 bytes");
      write(`O ${id} ${port} ${urlPath}${joined === null ? "" : ` ${Buffer.from(joined).toString("hex")}`}`);
    },
    /** The measured window on the bench's clock (shared-clock.mjs base and µs bounds). */
    window: ([baseS, baseNs], fromUs, toUs) => write(`W ${baseS} ${baseNs} ${fromUs} ${toUs}`),
    /** Entries seen so far, as last reported (every 200 ms). */
    seen: () => seen,
    /** Frames, wire bytes and entries received in the window, and entries ever. */
    counts() {
      return new Promise((resolve, reject) => {
        countWaiters.push(resolve);
        exited.then((code) => reject(new Error(`the compiled receiver exited (${code}) before reporting`)));
        write("Q");
      });
    },
    async close() {
      write("X");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000)).then(() => child.kill("SIGKILL"))]);
    },
  };
}
