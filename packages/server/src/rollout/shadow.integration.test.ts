// Shadow traffic between two real deployments: a production `collabblocks serve`
// with --shadow-to mirrors its clients into a staging `collabblocks serve`, where
// an ordinary client sees them (same connectionIds, same presence, their leaves).
// Then staging's failure — down from the start, or black-holed mid-traffic
// through a TCP proxy — must not affect production: its clients still converge,
// and the drops are counted in its /metrics. Runs the built CLI (dist/).
import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportPKCS8 } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createTestKey,
  type JwksServer,
  startJwksServer,
  startTestAuthority,
  type TestAuthority,
  type TestKey,
} from "../../../../test-support/jwks-server.js";
import {
  type PresenceProcess,
  startPresenceProcess,
  waitConverged,
} from "../test-support/presence-processes.js";
import { freePort, startTcpProxy, type TcpProxy } from "../test-support/redis-harness.js";
import { connectTestClient, type TestClient } from "../test-support/test-client.js";

/** Production's convergence is a product promise of well under a second; slack for this shared machine. */
const PRODUCTION_CONVERGE_MS = 5000;

let users: TestAuthority; // signs real clients' tokens; its JWKS is production's (staging trusts it too)
let shadowKey: TestKey; // the production edges' mirror key (trusted by staging only)
let stagingJwks: JwksServer;
let dir: string;
let keyPath: string;
let processes: PresenceProcess[] = [];
let clients: TestClient[] = [];
let proxies: TcpProxy[] = [];

const log = (msg: string): void => console.log(`[shadow] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  users = await startTestAuthority("users");
  shadowKey = await createTestKey("shadow-1");
  stagingJwks = await startJwksServer([users.key, shadowKey]);
  dir = await mkdtemp(join(tmpdir(), "cb-shadow-it-"));
  keyPath = join(dir, "shadow-key.pem");
  writeFileSync(keyPath, await exportPKCS8(shadowKey.privateKey));
});
afterEach(async () => {
  for (const c of clients) c.terminate();
  clients = [];
  await Promise.all(processes.map((p) => p.stop()));
  processes = [];
  await Promise.all(proxies.map((p) => p.close()));
  proxies = [];
});
afterAll(async () => {
  await users.close();
  await stagingJwks.close();
  await rm(dir, { recursive: true, force: true });
});

async function start(name: string, args: string[]): Promise<PresenceProcess> {
  const p = await startPresenceProcess(args, name);
  processes.push(p);
  return p;
}
const startStaging = () => start("staging", ["--jwks-url", stagingJwks.url]);
const startProduction = (shadowTo: string, extra: string[] = []) =>
  start("production", [
    "--jwks-url",
    users.jwksUrl,
    "--shadow-to",
    shadowTo,
    "--shadow-token-key",
    keyPath,
    "--shadow-kid",
    shadowKey.kid,
    "--shadow-room-prefix",
    "shadow-",
    ...extra,
  ]);

async function connect(server: PresenceProcess, room: string, user: string): Promise<TestClient> {
  const token = await users.sign({ sub: user, room, plan: "pro", org: "org_x", info: { name: user } });
  const c = connectTestClient({ url: server.wsUrl, room, token });
  clients.push(c);
  await c.ready;
  return c;
}

/**
 * Each client moves its cursor every `everyMs` (well under the 20/s limit); `until` runs right
 * after each round is sent (so it can time production's convergence) and ends the traffic.
 */
async function traffic(senders: readonly TestClient[], everyMs: number, until: () => Promise<boolean>) {
  for (let n = 1; ; n++) {
    for (const c of senders) c.update({ cursor: { x: (n % 100) / 100, y: Math.random() } });
    if (await until()) return n;
    await sleep(everyMs);
  }
}

describe("shadow traffic (--shadow-to)", () => {
  it("mirrors production clients into staging, where a client sees their presence, updates and leaves", async () => {
    const staging = await startStaging();
    const production = await startProduction(staging.wsUrl);
    const prod: TestClient[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await connect(production, "room-a", `user-${i}`);
      c.update({ status: "idle", cursor: { x: i / 10, y: 0.5 } });
      prod.push(c);
    }
    const viewer = await connect(staging, "shadow-room-a", "staging-tester");
    const t = await waitConverged([viewer], [...prod, viewer], 10_000, "staging sees the mirrored clients");
    log(`staging converged to 3 mirrored clients in ${t.toFixed(0)} ms`);
    // Mirrored as the same users, with their info.
    const peers = new Map([...viewer.replica.peers()].map((p) => [p.connectionId, p]));
    expect(peers.get(prod[0]!.welcome!.connectionId)).toMatchObject({
      userId: "user-0",
      info: { name: "user-0" },
    });

    // Like an SDK: a 60 ms spacing stays under the 20 patches/s limit.
    for (let k = 1; k <= 10; k++) {
      prod[0]!.update({ cursor: { x: k / 10, y: 0.1 }, status: k % 2 ? "editing" : undefined });
      await sleep(60);
    }
    await waitConverged([viewer], [...prod, viewer], 10_000, "staging follows the updates");

    const leaving = prod.pop()!;
    await leaving.close(1000);
    await viewer.waitFor(
      () => viewer.events.some((e) => e.kind === "leave" && e.connectionId === leaving.welcome!.connectionId),
      10_000,
      "the mirrored leave",
    );
    expect(viewer.events.find((e) => e.kind === "leave")?.reason).toBe("left");
    await waitConverged([viewer], [...prod, viewer], 10_000, "staging after the leave");

    // 3 enters, 3 first updates, 10 updates, 1 leave: each is mirrored or counted as dropped (a first
    // update that arrives before staging's welcome is folded into the welcome's re-assert).
    const mirrored = await production.metric("presence_shadow_mirrored_total");
    expect(mirrored + (await production.metric("presence_shadow_dropped_total"))).toBe(3 + 3 + 10 + 1);
    expect(mirrored).toBeGreaterThanOrEqual(3 + 10 + 1);
    expect(await production.metric("presence_shadow_connections")).toBe(2);
    expect(await staging.metric("presence_connections")).toBe(3); // 2 mirrors + the tester
    expect(await staging.metric('presence_refusals_total{code="RATE_LIMITED"}')).toBe(0);
    // Never a token (JWTs start with eyJ) in either process's output.
    expect(production.output()).not.toContain("eyJ");
    expect(staging.output()).not.toContain("eyJ");
  }, 60_000);

  it("with staging down, production clients still converge and the drops are counted", async () => {
    const deadPort = await freePort();
    const production = await startProduction(`ws://127.0.0.1:${deadPort}`);
    const prod: TestClient[] = [];
    for (let i = 0; i < 5; i++) prod.push(await connect(production, "room-b", `user-${i}`));
    let worst = 0;
    await traffic(prod, 100, async () => {
      worst = Math.max(
        worst,
        await waitConverged(prod, prod, PRODUCTION_CONVERGE_MS, "production, staging down"),
      );
      return (await production.metric("presence_shadow_dropped_total")) >= 10;
    });
    log(`production converged within ${worst.toFixed(0)} ms of each round with staging down`);
    expect(await production.metric("presence_shadow_mirrored_total")).toBe(0);
    expect(await production.metric("presence_shadow_connections")).toBe(0);
    expect((await fetch(`${production.url}/readyz`)).status).toBe(200);
    expect(production.output()).toMatch(/shadow: cannot reach staging/);
    expect(production.output()).not.toContain("eyJ");
  }, 60_000);

  it("with staging black-holed mid-traffic, production is unaffected, drops are counted, and mirroring resumes after", async () => {
    const staging = await startStaging();
    const proxy = await startTcpProxy(Number(new URL(staging.url).port));
    proxies.push(proxy);
    const production = await startProduction(`ws://127.0.0.1:${proxy.port}`);
    const prod: TestClient[] = [];
    for (let i = 0; i < 8; i++) prod.push(await connect(production, "room-c", `user-${i}`));
    const viewer = await connect(staging, "shadow-room-c", "staging-tester");
    for (const c of prod) c.update({ status: "idle" });
    await waitConverged([viewer], [...prod, viewer], 10_000, "staging before the black hole");

    proxy.blackhole();
    const blackholedAt = performance.now();
    const dropped0 = await production.metric("presence_shadow_dropped_total");
    // Traffic until the mirrors have noticed (10 s of silence) and drops show in /metrics.
    let worst = 0;
    await traffic(prod, 200, async () => {
      const t = await waitConverged(prod, prod, PRODUCTION_CONVERGE_MS, "production during the black hole");
      worst = Math.max(worst, t);
      return (await production.metric("presence_shadow_dropped_total")) > dropped0;
    });
    log(
      `drops counted ${((performance.now() - blackholedAt) / 1000).toFixed(1)} s after the black hole; ` +
        `production converged within ${worst.toFixed(0)} ms of each round`,
    );
    expect((await fetch(`${production.url}/readyz`)).status).toBe(200);

    proxy.heal();
    for (const c of prod) c.update({ status: "back" });
    const recovered = await waitConverged([viewer], [...prod, viewer], 45_000, "staging after the heal");
    log(`staging converged again ${(recovered / 1000).toFixed(1)} s after the heal`);
    expect(await production.metric("presence_shadow_connections")).toBe(8);
  }, 120_000);
});
