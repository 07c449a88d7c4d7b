// Real `collabblocks serve` processes for the scaled-mode chaos tests: spawned
// from the built CLI (packages/server/dist/cli/main.js), each a separate OS
// process so it can be kill -9'd. Tokens come from a local JWKS server with an
// ES256 key made in the test (jwks-server.ts), shared by every process.
import type { PresenceData } from "@collabblocks/protocol";
import { type CliProcess, startCliProcess } from "../../../../test-support/cli-process.js";
import { startTestAuthority, type TestAuthority } from "../../../../test-support/jwks-server.js";
import { connectTestClient, type TestClient, type TestClientOptions } from "./test-client.js";

/** A CLI process (`child`, `output()`, `stop()`, `kill9()`…) named by its pod id. */
export interface PresenceProcess extends CliProcess {
  readonly podId: string;
  readonly wsUrl: string;
  /** GET /metrics (on the admin port) and read one sample's value (first match). */
  metric(name: string): Promise<number>;
}

/** Adds the pod id, the ws:// URL and metric reading to a started CLI process. */
export function asPresenceProcess(cli: CliProcess, podId: string): PresenceProcess {
  return {
    ...cli,
    podId,
    wsUrl: cli.url.replace(/^http/, "ws"),
    async metric(name) {
      const text = await (await fetch(cli.metricsUrl)).text();
      const line = text.split("\n").find((l) => l.startsWith(name) && !l.startsWith("#"));
      return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(" ") + 1));
    },
  };
}

/** Starts `collabblocks serve --port 0 --admin-port 0 --pod-id <podId> …args`. */
export async function startPresenceProcess(args: readonly string[], podId: string): Promise<PresenceProcess> {
  const argv = ["serve", "--port", "0", "--admin-port", "0", "--pod-id", podId, ...args];
  const cli = await startCliProcess(argv, { name: podId });
  return asPresenceProcess(cli, podId);
}

/** Signs tokens for any room and user with a key every process trusts through --jwks-url. */
export interface TokenAuthority extends TestAuthority {
  /** Connects `user` to `room` on `server` (token info `{ name: user }`); resolves once joined. */
  connect(
    server: PresenceProcess,
    room: string,
    user: string,
    extra?: Partial<TestClientOptions>,
  ): Promise<TestClient>;
}

export async function startTokenAuthority(): Promise<TokenAuthority> {
  const authority = await startTestAuthority("scaled-test");
  return {
    ...authority,
    async connect(server, room, user, extra = {}) {
      const token = await authority.sign({ sub: user, room, info: { name: user } });
      const client = connectTestClient({ url: server.wsUrl, room, token, ...extra });
      await client.ready;
      return client;
    },
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

/** A position-field window (PROTOCOL.md §8) for the views tests. */
export interface TestRect {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/**
 * True when `viewer`, whose view is `rect` over field `pos`, holds exactly the
 * members whose `pos` (as they last sent it) is inside it, each at its sender's state.
 * The tests keep positions far from the borders, so the margin never matters.
 */
export function seesInside(viewer: TestClient, members: readonly TestClient[], rect: TestRect): boolean {
  const inside = members.filter((c) => {
    const p = c.local.pos as { x: number; y: number } | undefined;
    return p !== undefined && p.x >= rect.x0 && p.x <= rect.x1 && p.y >= rect.y0 && p.y <= rect.y1;
  });
  return seesExactly(viewer, inside);
}
