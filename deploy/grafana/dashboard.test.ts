import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { metricForSeries, PRESENCE_METRICS, serverMetricNames } from "../metrics.js";
import { selectorsIn } from "../promql.js";

interface Target {
  readonly expr: string;
  readonly datasource?: { readonly uid?: string };
}
interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly datasource?: { readonly type?: string; readonly uid?: string };
  readonly targets?: readonly Target[];
}
interface Variable {
  readonly name: string;
  readonly type: string;
  readonly query: string | { readonly query: string };
}
interface Dashboard {
  readonly schemaVersion: number;
  readonly uid: string;
  readonly title: string;
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly Variable[] };
}

// Grafana's own variable syntax, not a JavaScript template.
const DATASOURCE_VARIABLE = "$" + "{datasource}";
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const dashboard = JSON.parse(readFileSync(new URL("./presence.json", import.meta.url), "utf8")) as Dashboard;
const panels = dashboard.panels.filter((p) => p.type !== "row");
const targets = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));
// `label_values(metric{…}, label)` variable queries reference a metric too.
const variableExprs = dashboard.templating.list
  .filter((v) => v.type === "query")
  .map((v) => {
    const query = typeof v.query === "string" ? v.query : v.query.query;
    return { name: v.name, expr: /^label_values\((.*),\s*\w+\)$/.exec(query)?.[1] ?? query };
  });

describe("grafana/presence.json", () => {
  it("is a schema 39 dashboard with a stable uid and a Prometheus data source variable", () => {
    expect(dashboard.schemaVersion).toBe(39);
    expect(dashboard.uid).toBe("collabblocks-presence");
    expect(dashboard.templating.list.find((v) => v.name === "datasource")).toMatchObject({
      type: "datasource",
      query: "prometheus",
    });
  });

  it("takes every panel's and query's data source from the variable", () => {
    for (const panel of panels) expect(panel.datasource?.uid, panel.title).toBe(DATASOURCE_VARIABLE);
    for (const target of targets) expect(target.datasource?.uid, target.panel).toBe(DATASOURCE_VARIABLE);
  });

  it("has unique panel ids and panels that fit the 24-column grid without overlapping", () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Map<string, string>();
    for (const panel of dashboard.panels) {
      const { x, y, w, h } = panel.gridPos;
      expect(x + w, panel.title).toBeLessThanOrEqual(24);
      for (let row = y; row < y + h; row++) {
        for (let col = x; col < x + w; col++) {
          const key = `${col},${row}`;
          expect(cells.get(key), `${panel.title} overlaps`).toBeUndefined();
          cells.set(key, panel.title);
        }
      }
    }
  });

  it("queries only contract metrics (and the server's own names once it registers them)", () => {
    const registered = serverMetricNames(repoRoot);
    for (const { panel, expr } of [
      ...targets.map((t) => ({ ...t })),
      ...variableExprs.map((v) => ({ panel: `$${v.name}`, expr: v.expr })),
    ]) {
      const selectors = selectorsIn(expr);
      expect(selectors.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const { name } of selectors) {
        const metric = metricForSeries(name, PRESENCE_METRICS);
        expect(metric, `${panel} uses ${name}`).toBeDefined();
        if (registered) expect([...registered], `${panel} uses ${name}`).toContain(metric!.name);
      }
    }
  });

  it("groups only by labels the metric has (le, job, instance or its contract labels)", () => {
    for (const { panel, expr } of targets) {
      const allowed = new Set(["le", "job", "instance"]);
      for (const { name } of selectorsIn(expr)) {
        for (const label of metricForSeries(name, PRESENCE_METRICS)?.labels ?? []) allowed.add(label);
      }
      for (const [, list] of expr.matchAll(/\bby\s*\(([^)]*)\)/g)) {
        for (const label of list!.split(",").map((l) => l.trim())) {
          expect([...allowed], `${panel} groups by ${label}`).toContain(label);
        }
      }
    }
  });

  it("filters every panel query by the job and instance variables", () => {
    for (const { panel, expr } of targets) {
      for (const { name, matchers } of selectorsIn(expr)) {
        expect(matchers, `${panel}: ${name}`).toContain('job=~"$job"');
        expect(matchers, `${panel}: ${name}`).toContain('instance=~"$instance"');
      }
    }
  });

  it("shows every contract metric somewhere", () => {
    const shown = new Set(
      targets.flatMap((t) => selectorsIn(t.expr).map((s) => metricForSeries(s.name, PRESENCE_METRICS)?.name)),
    );
    for (const metric of PRESENCE_METRICS) expect([...shown], metric.name).toContain(metric.name);
  });

  it("plots round-trip p50, p95 and p99 from the histogram buckets, and refusals by code", () => {
    const rtt = panels.find((p) => p.title === "Round trip p50 / p95 / p99");
    const exprs = (rtt?.targets ?? []).map((t) => t.expr);
    for (const q of ["0.50", "0.95", "0.99"]) {
      expect(exprs.some((e) => e.startsWith(`histogram_quantile(${q}, sum by (le)`))).toBe(true);
    }
    expect(targets.some((t) => /sum by \(code\) \(rate\(presence_refusals_total\{/.test(t.expr))).toBe(true);
  });

  // promtool parses PromQL when it checks a rule file, so each query goes into a
  // throwaway recording rule with Grafana's interval variables replaced.
  const promtool = process.env.PROMTOOL ?? "promtool";
  const promtoolFound = spawnSync(promtool, ["--version"]).status === 0;
  it.skipIf(!promtoolFound)("has only queries that parse as PromQL (promtool)", () => {
    const dir = mkdtempSync(join(tmpdir(), "presence-dashboard-"));
    try {
      const rules = targets.map((t, i) => {
        const expr = t.expr.replace(/\$__(rate_)?interval/g, "5m");
        return `      - record: dashboard_query_${i}\n        expr: ${JSON.stringify(expr)}`;
      });
      writeFileSync(
        join(dir, "queries.yml"),
        `groups:\n  - name: dashboard\n    rules:\n${rules.join("\n")}\n`,
      );
      const run = spawnSync(promtool, ["check", "rules", "queries.yml"], { cwd: dir, encoding: "utf8" });
      expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
