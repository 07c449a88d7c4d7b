import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { type CliConfig, HELP, parseCli } from "./flags.js";
import { prepareRollout } from "./rollout.js";

const dir = mkdtempSync(join(tmpdir(), "cb-rollout-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const keyFile = join(dir, "shadow.pem");
writeFileSync(
  keyFile,
  generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ type: "pkcs8", format: "pem" }),
);

function config(argv: string[], env: Record<string, string> = {}): CliConfig {
  const r = parseCli(argv, env);
  if (r.kind !== "run") throw new Error(r.kind === "error" ? r.message : "help");
  return r.config;
}
const error = (argv: string[]) => {
  const r = parseCli(argv, {});
  return r.kind === "error" ? r.message : undefined;
};

describe("rollout flags", () => {
  it("are off by default", () => {
    expect(config(["dev"])).toMatchObject({
      gatesFile: undefined,
      allowPlans: undefined,
      allowOrgs: undefined,
      shadowTo: undefined,
      shadowMaxConnections: 1000,
    });
  });

  it("parse gate lists and shadow settings, also from the environment", () => {
    const c = config(["serve", "--jwks-url", "http://a/jwks", "--allow-plans", "pro,enterprise"], {
      COLLABBLOCKS_ALLOW_ORGS: "org_internal",
      COLLABBLOCKS_SHADOW_TO: "ws://staging:8787/",
      COLLABBLOCKS_SHADOW_TOKEN_KEY: keyFile,
      COLLABBLOCKS_SHADOW_KID: "k1",
      COLLABBLOCKS_SHADOW_ROOM_PREFIX: "shadow-",
      COLLABBLOCKS_SHADOW_MAX_CONNECTIONS: "50",
    });
    expect(c).toMatchObject({
      allowPlans: ["pro", "enterprise"],
      allowOrgs: ["org_internal"],
      shadowTo: "ws://staging:8787",
      shadowTokenKey: keyFile,
      shadowKid: "k1",
      shadowRoomPrefix: "shadow-",
      shadowMaxConnections: 50,
    });
  });

  it.each([
    [
      ["pod", "--redis", "redis://r", "--gates-file", "g.json"],
      "a pod has no client sockets: give --gates-file to the edges",
    ],
    [
      ["dev", "--shadow-to", "ws://s:1"],
      "--shadow-to needs --shadow-token-key (an ES256 key whose public part is in staging's JWKS)",
    ],
    [["dev", "--shadow-kid", "k"], "--shadow-kid needs --shadow-to"],
    [
      ["dev", "--shadow-to", "http://s:1", "--shadow-token-key", "k"],
      "--shadow-to must be a ws:// or wss:// URL",
    ],
    [["dev", "--allow-plans", "pro,"], "--allow-plans must be comma-separated names, none empty"],
    [
      ["dev", "--shadow-to", "ws://s:1", "--shadow-token-key", "k", "--shadow-room-prefix", "a/b"],
      "--shadow-room-prefix must be 1–64 characters of [A-Za-z0-9._:-]",
    ],
    [
      ["dev", "--shadow-to", "ws://s:1", "--shadow-token-key", "k", "--shadow-max-connections", "0"],
      "--shadow-max-connections must be ≥ 1",
    ],
  ])("refuse %j in one line", (argv, message) => {
    expect(error(argv)).toBe(message);
  });

  it("are listed in --help with their environment variables", () => {
    for (const flag of [
      "gates-file",
      "allow-plans",
      "allow-orgs",
      "shadow-to",
      "shadow-token-key",
      "shadow-kid",
    ]) {
      expect(HELP).toContain(`--${flag}`);
    }
    expect(HELP).toContain("COLLABBLOCKS_SHADOW_MAX_CONNECTIONS");
  });
});

describe("prepareRollout", () => {
  const silent = pino({ level: "silent" });

  it("has no gate and no mirror without the flags", () => {
    const r = prepareRollout(config(["dev"]), silent);
    expect(r.authorize).toBeUndefined();
    expect(r.shadow).toBeUndefined();
  });

  it("gates by flags and file together, and loads the shadow key", () => {
    const gates = join(dir, "gates.json");
    writeFileSync(gates, '{"orgs": ["org_partner"]}');
    const r = prepareRollout(
      config([
        "dev",
        "--allow-plans",
        "enterprise",
        "--gates-file",
        gates,
        "--shadow-to",
        "ws://s:1",
        "--shadow-token-key",
        keyFile,
        "--shadow-kid",
        "k1",
      ]),
      silent,
    );
    expect(r.authorize!({ plan: "enterprise", org: undefined })).toBeUndefined();
    expect(r.authorize!({ plan: "free", org: "org_partner" })).toBeUndefined();
    expect(r.authorize!({ plan: "free", org: "org_other" })).toBe("PLAN_NOT_ENABLED");
    expect(r.shadow).toMatchObject({ to: "ws://s:1", key: { kid: "k1" }, maxConnections: 1000 });
  });

  it("closes the connections that changed gates refuse", () => {
    const gates = join(dir, "gates-2.json");
    writeFileSync(gates, '{"plans": ["pro", "free"]}');
    const r = prepareRollout(config(["dev", "--gates-file", gates]), silent);
    const live = [
      { plan: "pro", org: undefined },
      { plan: "free", org: undefined },
    ];
    const closed: string[] = [];
    r.start({
      revoke(check) {
        for (const c of live) if (check(c) !== undefined) closed.push(c.plan);
        return closed.length;
      },
    });
    try {
      writeFileSync(gates, '{"plans": ["pro"]}');
      r.reload();
      expect(closed).toEqual(["free"]);
      writeFileSync(gates, "{oops");
      r.reload();
      expect(r.authorize!({ plan: "pro", org: undefined })).toBeUndefined();
      expect(r.authorize!({ plan: "free", org: undefined })).toBe("PLAN_NOT_ENABLED");
    } finally {
      r.close();
    }
  });

  it("throws one line for a bad gates file or shadow key at start", () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, '{"plan": ["pro"]}');
    expect(() => prepareRollout(config(["dev", "--gates-file", bad]), silent)).toThrow(
      /^--gates-file .*bad\.json: unknown key "plan"/,
    );
    expect(() =>
      prepareRollout(
        config(["dev", "--shadow-to", "ws://s:1", "--shadow-token-key", join(dir, "none.pem")]),
        silent,
      ),
    ).toThrow(/^--shadow-token-key .*: cannot read it/);
  });
});
