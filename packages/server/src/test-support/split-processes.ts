// Real `collabblocks pod` / `collabblocks edge` processes for the split-mode
// tests, spawned from the built CLI (packages/server/dist/cli/main.js) so that a
// pod can be kill -9'd. They look like presence-processes.ts's PresenceProcess, so
// its token authority and convergence helpers work with them unchanged.
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { PresenceProcess } from "./presence-processes.js";
import { requireBuiltCli } from "./presence-processes.js";

const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), "../../dist/cli/main.js");
/** A process must print its listening line within this, ms. */
const START_TIMEOUT_MS = 15_000;

export interface RoleProcess extends PresenceProcess {
  /** The parsed listening line. */
  readonly listening: Readonly<Record<string, string>>;
  /** GET /readyz status. */
  readyz(): Promise<number>;
}

/** Starts `collabblocks <role> --port 0 --host 127.0.0.1 …args`; `name` labels its output. */
export async function startRole(
  role: "pod" | "edge",
  name: string,
  args: readonly string[],
): Promise<RoleProcess> {
  requireBuiltCli();
  const child: ChildProcess = spawn(
    process.execPath,
    [MAIN, role, "--port", "0", "--host", "127.0.0.1", ...args],
    { env: { ...process.env, COLLABBLOCKS_LOG_LEVEL: "info" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stderr!.on("data", (d: Buffer) => {
    output += d.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  });
  const exited = new Promise<void>((res) => child.once("exit", () => res()));
  const listening = await new Promise<Record<string, string>>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${name} did not start:\n${output}`)), START_TIMEOUT_MS);
    const rl = createInterface({ input: child.stdout! });
    rl.on("line", (line) => {
      output += `${line}\n`;
      if (!line.includes('"listening"')) return;
      clearTimeout(timer);
      res(JSON.parse(line) as Record<string, string>);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      rej(new Error(`${name} exited with ${code}:\n${output}`));
    });
  });
  const url = listening.url!;
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    podId: name,
    url,
    wsUrl: url.replace(/^http/, "ws"),
    child,
    listening,
    output: () => output,
    async kill9() {
      if (alive()) child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (alive()) child.kill("SIGTERM");
      await exited;
    },
    async metric(metricName) {
      const text = await (await fetch(`${url}/metrics`)).text();
      const line = text.split("\n").find((l) => l.startsWith(metricName) && !l.startsWith("#"));
      return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(" ") + 1));
    },
    async readyz() {
      return (await fetch(`${url}/readyz`)).status;
    },
  };
}
