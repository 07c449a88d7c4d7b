// The built `collabblocks` CLI (packages/server/dist/cli/main.js) as a real OS
// process, for the integration tests of every workspace: the server's chaos and
// split-mode tests, the client's restart tests and the demo's browser tests. It
// lives at the repo root, outside every package, because the client and demo
// must not import the server's src (imports go protocol ← server and
// protocol ← client ← react ← demo) and a spawned process is what they want
// anyway: it can be SIGKILLed, SIGSTOPped and restarted on the same port.
// Test-only plain TypeScript: no package builds it; tsconfig.check.json checks it.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** The built CLI entry. */
export const CLI_PATH = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "../packages/server/dist/cli/main.js",
);
/** A process must print its listening line within this, ms (a loaded CI machine is slow). */
export const START_TIMEOUT_MS = 20_000;
/** SIGTERM exits within 5 s (docs/OPERATIONS.md#running-modes shutdown); `stop()` sends SIGKILL after this, ms. */
export const STOP_TIMEOUT_MS = 6_000;

export interface CliExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface CliSpawnOptions {
  /** Labels error messages (default `collabblocks <first arg>`). */
  readonly name?: string;
  /** COLLABBLOCKS_LOG_LEVEL (default "warn": only problems reach `output()`). */
  readonly logLevel?: string;
  /** Extra environment (COLLABBLOCKS_ flags); the log level above wins. */
  readonly env?: Readonly<Record<string, string>>;
  /** Past this many characters `output()` keeps only its newer half (chatty info logs); default: no cap. */
  readonly maxOutputChars?: number;
}

export interface CliChild {
  readonly child: ChildProcess;
  /** Resolves once the process has exited and all it printed has been read. */
  readonly exited: Promise<CliExit>;
  /** stderr and stdout as they came, for failure messages. */
  output(): string;
  /** stderr alone (configuration errors are one line there). */
  stderr(): string;
  /**
   * The first stdout line `match` accepts, printed already or still to come. Rejects with
   * "<name> exited with <code>:\n<output>" when the process ends first, or, naming `what`,
   * after `timeoutMs`.
   */
  waitForLine(match: (line: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  /** SIGTERM, SIGKILL if it still runs after STOP_TIMEOUT_MS; resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL now (no goodbye to clients or Redis); resolves once it has exited. */
  kill9(): Promise<void>;
}

export interface CliProcess extends CliChild {
  /** The parsed listening line, e.g. `{ event: "listening", role: "all", url }`. */
  readonly listening: Readonly<Record<string, string>>;
  /** http://host:port from the listening line. */
  readonly url: string;
  /**
   * Where this process serves /metrics, from the listening line's `metrics`. Start serve, pod
   * and edge with `--admin-port 0`: their default admin port (9464) is one per machine, and
   * test files run in parallel (docs/OPERATIONS.md#admin-port).
   */
  readonly metricsUrl: string;
}

/** Throws, saying how to fix it, when the CLI has not been built. */
export function requireBuiltCli(): void {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run \`npm run build\` first`);
}

/** Spawns `collabblocks …args` without waiting for anything (bad-config and --help tests). */
export function spawnCli(args: readonly string[], options: CliSpawnOptions = {}): CliChild {
  requireBuiltCli();
  const name = options.name ?? `collabblocks ${args[0] ?? ""}`.trim();
  const maxOutput = options.maxOutputChars ?? Number.POSITIVE_INFINITY;
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    env: { ...process.env, ...options.env, COLLABBLOCKS_LOG_LEVEL: options.logLevel ?? "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let stderr = "";
  const append = (text: string): void => {
    output += text;
    if (output.length > maxOutput) output = output.slice(-Math.floor(maxOutput / 2));
  };
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
    append(d.toString());
  });
  const lines: string[] = [];
  const lineListeners = new Set<(line: string) => void>();
  createInterface({ input: child.stdout! }).on("line", (line) => {
    append(`${line}\n`);
    lines.push(line);
    for (const listener of lineListeners) listener(line);
  });
  // "close" rather than "exit": it comes once stdout and stderr have ended too, so
  // what the process printed just before exiting is in output() and stderr().
  const exited = new Promise<CliExit>((res) => child.once("close", (code, signal) => res({ code, signal })));
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;

  return {
    child,
    exited,
    output: () => output,
    stderr: () => stderr,
    waitForLine(match, what, timeoutMs) {
      const seen = lines.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<string>((res, rej) => {
        const timer =
          timeoutMs === undefined
            ? undefined
            : setTimeout(() => {
                lineListeners.delete(listener);
                rej(new Error(`${name} did not print its ${what} within ${timeoutMs} ms:\n${output}`));
              }, timeoutMs);
        const listener = (line: string): void => {
          if (!match(line)) return;
          clearTimeout(timer);
          lineListeners.delete(listener);
          res(line);
        };
        lineListeners.add(listener);
        exited.then(({ code, signal }) => {
          clearTimeout(timer);
          lineListeners.delete(listener);
          rej(new Error(`${name} exited with ${code ?? signal}:\n${output}`));
        });
      });
    },
    async stop() {
      if (alive()) child.kill("SIGTERM");
      const timer = setTimeout(() => alive() && child.kill("SIGKILL"), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
    async kill9() {
      if (alive()) child.kill("SIGKILL");
      await exited;
    },
  };
}

/**
 * Starts `collabblocks …args` and waits for its JSON listening line. A process that
 * exits or stays silent for START_TIMEOUT_MS is stopped, and the error carries its output.
 */
export async function startCliProcess(
  args: readonly string[],
  options: CliSpawnOptions = {},
): Promise<CliProcess> {
  const cli = spawnCli(args, options);
  try {
    const line = await cli.waitForLine((l) => l.includes('"listening"'), "listening line", START_TIMEOUT_MS);
    const listening = JSON.parse(line) as Record<string, string>;
    return { ...cli, listening, url: listening.url!, metricsUrl: listening.metrics! };
  } catch (err) {
    await cli.stop();
    throw err;
  }
}
