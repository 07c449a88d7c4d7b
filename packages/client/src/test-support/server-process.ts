// A real `collabblocks` process for the client's integration tests, run from
// the built CLI (packages/server/dist; CI builds first). The client package never
// imports the server: the server is a separate OS process here, as in production,
// so it can be stopped and started again on the same port.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), "../../../server/dist/cli/main.js");
/** The process must print its listening line within this, ms (a loaded CI machine is slow). */
const START_TIMEOUT_MS = 20_000;
/** SIGTERM exits within 5 s (BRIEF §2 shutdown); SIGKILL after this, ms. */
const STOP_TIMEOUT_MS = 6_000;

export interface ServerProcess {
  readonly url: string;
  readonly port: number;
  /** Everything it printed, for failure messages. */
  output(): string;
  /** SIGTERM (SIGKILL if it hangs) and wait for the exit. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts `collabblocks <args> --port <port>` (0 = a free port) on 127.0.0.1 and waits
 * for its listening line. `args` is e.g. `["dev"]` or `["serve", "--jwks-url", url]`.
 */
export async function startServerProcess(args: readonly string[], port = 0): Promise<ServerProcess> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const argv = [CLI, ...args, "--port", String(port), "--host", "127.0.0.1"];
  const child: ChildProcess = spawn(process.execPath, argv, {
    env: { ...process.env, COLLABBLOCKS_LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr!.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((res) => child.once("exit", () => res()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    if (alive()) child.kill("SIGTERM");
    const timer = setTimeout(() => alive() && child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };
  try {
    const url = await new Promise<string>((res, rej) => {
      const timer = setTimeout(
        () => rej(new Error(`collabblocks ${args[0]} did not start:\n${output}`)),
        START_TIMEOUT_MS,
      );
      createInterface({ input: child.stdout! }).on("line", (line) => {
        output += `${line}\n`;
        if (!line.includes('"listening"')) return;
        clearTimeout(timer);
        res((JSON.parse(line) as { url: string }).url);
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        rej(new Error(`collabblocks ${args[0]} exited with ${code}:\n${output}`));
      });
    });
    return { url, port: Number(new URL(url).port), output: () => output, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
