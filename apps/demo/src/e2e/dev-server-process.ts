// A real `collabblocks dev` process for the browser tests, from the built CLI,
// serving the built demo. Fails with a clear message when either build is missing.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
const CLI = resolve(REPO, "packages/server/dist/cli/main.js");
export const DEMO_DIST = resolve(REPO, "apps/demo/dist");
/** The process must print its listening line within this, ms (a loaded CI machine is slow). */
const START_TIMEOUT_MS = 20_000;
/** After SIGTERM the CLI exits within 5 s (BRIEF); SIGKILL after this, ms. */
const STOP_TIMEOUT_MS = 6_000;

export interface DevServer {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything it printed, for failure messages. */
  output(): string;
  /** SIGTERM, SIGKILL if it hangs; resolves when it has exited. Idempotent. */
  stop(): Promise<void>;
}

export async function startDevServer(): Promise<DevServer> {
  for (const [path, what] of [
    [CLI, "the server CLI"],
    [resolve(DEMO_DIST, "index.html"), "the demo"],
  ] as const) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` to build ${what}`);
  }
  const child = spawn(process.execPath, [CLI, "dev", "--port", "0", "--static-dir", DEMO_DIST], {
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
        () => rej(new Error(`collabblocks dev did not start:\n${output}`)),
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
        rej(new Error(`collabblocks dev exited with ${code}:\n${output}`));
      });
    });
    return { url, child, output: () => output, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
