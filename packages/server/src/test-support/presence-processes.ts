// Real `collabblocks serve` processes for the scaled-mode chaos tests: spawned
// from the built CLI (packages/server/dist/cli/main.js), each a separate OS
// process so it can be kill -9'd. Tokens come from a local JWKS server with an
// ES256 key made in the test (jwks-server.ts), shared by every process.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { PresenceData } from "@collabblocks/protocol";
import { createTestKey, type JwksServer, signToken, startJwksServer, type TestKey } from "./jwks-server.js";
import { connectTestClient, type TestClient, type TestClientOptions } from "./test-client.js";

const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), "../../dist/cli/main.js");
/** A process must print its listening line within this, ms. */
const START_TIMEOUT_MS = 15_000;

export interface PresenceProcess {
  readonly podId: string;
  readonly url: string;
  readonly wsUrl: string;
  readonly child: ChildProcess;
  /** Everything the process wrote to stderr and stdout (logs), for failure messages. */
  output(): string;
  /** SIGKILL: no goodbye to Redis or clients. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** GET /metrics and read one sample's value (first match). */
  metric(name: string): Promise<number>;
}

export function requireBuiltCli(): void {
  if (!existsSync(MAIN))
    throw new Error(`${MAIN} is missing: run \`npm run build\` before the Redis chaos tests`);
}

export async function startPresenceProcess(args: readonly string[], podId: string): Promise<PresenceProcess> {
  requireBuiltCli();
  const child = spawn(process.execPath, [MAIN, "serve", "--port", "0", "--pod-id", podId, ...args], {
    env: { ...process.env, COLLABBLOCKS_LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr!.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((res) => child.once("exit", () => res()));
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${podId} did not start:\n${output}`)), START_TIMEOUT_MS);
    const rl = createInterface({ input: child.stdout! });
    rl.on("line", (line) => {
      output += `${line}\n`;
      if (!line.includes('"listening"')) return;
      clearTimeout(timer);
      res((JSON.parse(line) as { url: string }).url);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      rej(new Error(`${podId} exited with ${code}:\n${output}`));
    });
  });
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  return {
    podId,
    url,
    wsUrl: url.replace(/^http/, "ws"),
    child,
    output: () => output,
    async kill9() {
      if (alive()) child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (alive()) child.kill("SIGTERM");
      await exited;
    },
    async metric(name) {
      const text = await (await fetch(`${url}/metrics`)).text();
      const line = text.split("\n").find((l) => l.startsWith(name) && !l.startsWith("#"));
      return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(" ") + 1));
    },
  };
}

/** Signs tokens for any room and user with a key every process trusts through --jwks-url. */
export interface TokenAuthority {
  readonly jwksUrl: string;
  connect(
    server: PresenceProcess,
    room: string,
    user: string,
    extra?: Partial<TestClientOptions>,
  ): Promise<TestClient>;
  close(): Promise<void>;
}

export async function startTokenAuthority(): Promise<TokenAuthority> {
  const key: TestKey = await createTestKey("scaled-test");
  const jwks: JwksServer = await startJwksServer([key]);
  return {
    jwksUrl: jwks.url,
    async connect(server, room, user, extra = {}) {
      const token = await signToken(key, { sub: user, room, info: { name: user } });
      const client = connectTestClient({ url: server.wsUrl, room, token, ...extra });
      await client.ready;
      return client;
    },
    close: () => jwks.close(),
  };
}

const sortedJson = (state: PresenceData): string =>
  JSON.stringify(Object.fromEntries(Object.entries(state).sort(([a], [b]) => (a < b ? -1 : 1))));

/** True when `viewer` sees exactly `expected` (others, not itself), each with its sender's local state. */
export function seesExactly(viewer: TestClient, expected: readonly TestClient[]): boolean {
  const others = viewer.others();
  const want = expected.filter((c) => c !== viewer);
  if (others.size !== want.length) return false;
  for (const c of want) {
    const seen = others.get(c.welcome!.connectionId);
    if (!seen || sortedJson(seen) !== sortedJson(c.local)) return false;
  }
  return true;
}

/** Waits until every viewer sees exactly `expected`; the error names how many do not. */
export async function waitConverged(
  viewers: readonly TestClient[],
  expected: readonly TestClient[],
  timeoutMs: number,
  what: string,
): Promise<number> {
  const start = performance.now();
  for (;;) {
    const behind = viewers.filter((v) => !seesExactly(v, expected));
    if (behind.length === 0) return performance.now() - start;
    if (performance.now() - start > timeoutMs) {
      const v = behind[0]!;
      const others = v.others();
      const wrong = expected.find((c) => {
        if (c === v) return false;
        const seen = others.get(c.welcome!.connectionId);
        return !seen || sortedJson(seen) !== sortedJson(c.local);
      });
      const detail = wrong
        ? `; ${wrong.welcome!.connectionId}: sees ${JSON.stringify(others.get(wrong.welcome!.connectionId))}, ` +
          `sender has ${JSON.stringify(wrong.local)}`
        : "";
      throw new Error(
        `${what}: ${behind.length}/${viewers.length} views differ after ${timeoutMs} ms ` +
          `(first sees ${others.size}, expected ${expected.filter((c) => c !== v).length}${detail})`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Linear-interpolated percentile of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const s = [...samples].sort((a, b) => a - b);
  const i = (s.length - 1) * p;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return s[lo]! + (s[hi]! - s[lo]!) * (i - lo);
}
