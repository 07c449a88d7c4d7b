// Rollout gates in a real `collabblocks serve` process: refusal at connect,
// reload on SIGHUP and on a file change, live connections closed when the gates
// tighten, a bad reload keeping the old gates, a bad file at start exiting 2.
// Runs the built CLI (dist/), like the other process tests.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnCli } from "../../../../test-support/cli-process.js";
import { startTestAuthority, type TestAuthority } from "../../../../test-support/jwks-server.js";
import { waitUntil } from "../../../../test-support/wait-until.js";
import { type PresenceProcess, startPresenceProcess } from "../test-support/presence-processes.js";
import { connectTestClient, type TestClient } from "../test-support/test-client.js";

let auth: TestAuthority;
let dir: string;
const processes: PresenceProcess[] = [];
const clients: TestClient[] = [];

beforeAll(async () => {
  auth = await startTestAuthority("gates-test");
  dir = mkdtempSync(join(tmpdir(), "cb-gates-it-"));
});
afterAll(async () => {
  for (const c of clients.splice(0)) c.terminate();
  await Promise.all(processes.splice(0).map((p) => p.stop()));
  await auth.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Connects a user with the given plan/org; resolves once joined or closed. */
async function enter(server: PresenceProcess, user: string, plan: string, org?: string): Promise<TestClient> {
  const token = await auth.sign({ sub: user, room: "gated", plan, ...(org ? { org } : {}) });
  const client = connectTestClient({ url: server.wsUrl, room: "gated", token });
  clients.push(client);
  await Promise.race([client.ready.catch(() => undefined), client.closed]);
  return client;
}

const joined = (c: TestClient) => c.welcome !== undefined && c.ws.readyState === c.ws.OPEN;

/** Each check costs a connection or a log scan: every 100 ms, for up to 8 s. */
const eventually = (check: () => Promise<boolean>, what: string) =>
  waitUntil(what, check, 8000, { intervalMs: 100 });

describe("rollout gates (collabblocks serve)", () => {
  it("allow and refuse by plan and org, reload on SIGHUP and on change, and close refused live connections", async () => {
    const file = join(dir, "gates.json");
    writeFileSync(file, '{"plans": ["enterprise"]}');
    const server = await startPresenceProcess(
      ["--jwks-url", auth.jwksUrl, "--gates-file", file, "--allow-orgs", "org_internal"],
      "gates-1",
    );
    processes.push(server);

    // Mode any: a listed plan, or an org from the flag.
    const enterprise = await enter(server, "ent", "enterprise", "org_acme");
    const internal = await enter(server, "int", "free", "org_internal");
    const refused = await enter(server, "pro1", "pro");
    expect(joined(enterprise)).toBe(true);
    expect(joined(internal)).toBe(true);
    expect(await refused.closed).toEqual({ code: 4003, reason: "PLAN_NOT_ENABLED" });
    expect(refused.errors.map((e) => [e.code, e.fatal])).toEqual([["PLAN_NOT_ENABLED", true]]);
    expect(await server.metric('presence_refusals_total{code="PLAN_NOT_ENABLED"}')).toBe(1);

    // SIGHUP: pro is enabled at once.
    writeFileSync(file, '{"plans": ["enterprise", "pro"]}');
    server.child.kill("SIGHUP");
    await eventually(async () => joined(await enter(server, "pro2", "pro")), "pro allowed after SIGHUP");

    // A bad file on reload keeps the previous gates and logs an error.
    writeFileSync(file, '{"plans": ["enterprise", "pro"');
    server.child.kill("SIGHUP");
    await eventually(async () => server.output().includes("gates reload failed"), "reload error logged");
    expect(server.output()).toMatch(/not valid JSON.*gates reload failed; keeping the previous gates/);
    expect(joined(await enter(server, "pro3", "pro"))).toBe(true);
    expect(joined(await enter(server, "free1", "free"))).toBe(false);

    // No signal: the watched file drops enterprise and switches to mode all (plan AND org;
    // orgs = the flag's org_internal + the file's org_acme). Live clients that now fail
    // (enterprise plan; free plan; pro without an org) are closed with PLAN_NOT_ENABLED and
    // leave at once for their peers; a pro client of org_acme stays.
    const acmePro = await enter(server, "acme-pro", "pro", "org_acme");
    expect(joined(acmePro)).toBe(true);
    await acmePro.waitFor(() => acmePro.others().size === 4, 5000, "acme-pro sees the 4 others");
    writeFileSync(file, '{"plans": ["pro"], "orgs": ["org_acme"], "mode": "all"}');
    const took = await eventually(
      async () => !joined(enterprise) && !joined(internal),
      "live connections closed",
    );
    expect(await enterprise.closed).toEqual({ code: 4003, reason: "PLAN_NOT_ENABLED" });
    expect(await internal.closed).toEqual({ code: 4003, reason: "PLAN_NOT_ENABLED" });
    console.info(`gates file change applied to live connections in ${took.toFixed(0)} ms`);
    await acmePro.waitFor(() => acmePro.others().size === 0, 5000, "the refused clients leave");
    expect(joined(acmePro)).toBe(true);
    const leaves = acmePro.events.filter((e) => e.kind === "leave");
    expect(leaves.map((e) => e.reason)).toEqual(["left", "left", "left", "left"]);
    expect(leaves.map((e) => e.connectionId)).toContain(enterprise.welcome!.connectionId);
    expect(joined(await enter(server, "acme-ent", "enterprise", "org_acme"))).toBe(false);
    expect(joined(await enter(server, "other-pro", "pro", "org_other"))).toBe(false);
    expect(joined(await enter(server, "acme-pro-2", "pro", "org_acme"))).toBe(true);
  }, 60_000);

  it("exits 2 with one line when the gates file is bad at start", async () => {
    const file = join(dir, "bad.json");
    writeFileSync(file, '{"org": ["org_internal"]}');
    const cli = spawnCli([
      "serve",
      "--port",
      "0",
      "--admin-port",
      "0",
      "--jwks-url",
      auth.jwksUrl,
      "--gates-file",
      file,
    ]);
    const { code } = await cli.exited;
    expect(code).toBe(2);
    expect(cli.stderr().trim().split("\n")).toEqual([
      `collabblocks: --gates-file ${file}: unknown key "org" (expected plans, orgs, mode)`,
    ]);
  });
});
