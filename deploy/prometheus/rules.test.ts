import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { metricForSeries, PRESENCE_METRICS, serverMetricNames } from "../metrics.js";
import { readRules, selectorsIn } from "../promql.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const rules = readRules(readFileSync(`${here}alerts.yml`, "utf8"));
const alerts = rules.filter((r) => r.kind === "alert");

// promtool comes from the Debian `prometheus` package, which .ci/run installs.
// Locally it may be missing: then the promtool tests are skipped, loudly.
const PROMTOOL = process.env.PROMTOOL ?? "promtool";
const promtoolFound = spawnSync(PROMTOOL, ["--version"], { encoding: "utf8" }).status === 0;
if (!promtoolFound) {
  console.warn(
    `SKIPPING promtool rule tests: '${PROMTOOL}' not found on PATH. ` +
      "Install it (Debian: apt-get install --no-install-recommends prometheus) or set PROMTOOL=/path.",
  );
}

function promtool(...args: string[]) {
  // cwd = this directory: the test file names its rule_files relative to itself.
  const run = spawnSync(PROMTOOL, args, { cwd: here, encoding: "utf8", timeout: 60_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe.skipIf(!promtoolFound)("promtool", () => {
  it("accepts alerts.yml as valid rules", () => {
    const { status, output } = promtool("check", "rules", "alerts.yml");
    expect(output).toContain("SUCCESS");
    expect(status, output).toBe(0);
  });

  it("passes every rule unit test in alerts.test.yml", () => {
    const { status, output } = promtool("test", "rules", "alerts.test.yml");
    expect(status, output).toBe(0);
    expect(output).toContain("SUCCESS");
  });
});

describe("alerts.yml", () => {
  it("has the plan's three alerts and the JWKS one, each with a severity and a runbook link into OPERATIONS.md", () => {
    expect(alerts.map((a) => a.name).sort()).toEqual([
      "PresenceJwksStale",
      "PresenceRedisLagHigh",
      "PresenceRttP95High",
      "PresenceStreamBacklogHigh",
    ]);
    const yaml = readFileSync(`${here}alerts.yml`, "utf8");
    for (const alert of alerts) {
      expect(alert.runbookUrl).toBe(`docs/OPERATIONS.md#${alert.name.toLowerCase()}`);
      const block = yaml.slice(yaml.indexOf(`- alert: ${alert.name}`)).split(/\n\s*- alert:/)[0]!;
      expect(block).toMatch(/severity: (critical|warning)/);
      expect(block).toMatch(/summary: /);
      expect(block).toMatch(/description: /);
    }
  });

  it("keeps the thresholds of docs/OPERATIONS.md#metrics in the alert expressions", () => {
    const expr = Object.fromEntries(alerts.map((a) => [a.name, a.expr.replace(/\s+/g, " ")]));
    expect(expr.PresenceStreamBacklogHigh).toBe("presence_stream_backlog > 1000");
    expect(expr.PresenceRedisLagHigh).toBe("presence_redis_lag > 500");
    expect(expr.PresenceJwksStale).toBe("increase(presence_jwks_stale_total[5m]) > 0");
    expect(expr.PresenceRttP95High).toBe(
      "histogram_quantile(0.95, sum by (le) (rate(presence_rtt_ms_bucket[5m]))) > 40",
    );
  });

  it("queries only contract metrics (and the server's own names once it registers them)", () => {
    const registered = serverMetricNames(repoRoot);
    for (const rule of rules) {
      for (const { name } of selectorsIn(rule.expr)) {
        const metric = metricForSeries(name, PRESENCE_METRICS);
        expect(metric, `${rule.name} uses ${name}`).toBeDefined();
        if (registered) expect([...registered], `${rule.name} uses ${name}`).toContain(metric!.name);
      }
    }
  });
});
