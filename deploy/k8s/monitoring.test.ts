// deploy/k8s's monitoring, autoscaling and rollout pieces against their sources:
// the PrometheusRule is alerts.yml, the ServiceMonitor reaches every process's
// admin port, the HPA's metric is a gauge the server exports and the adapter
// rule serves, the gates file is one the edges accept.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseGatesJson } from "../../packages/server/src/rollout/gates.js";
import { PRESENCE_METRICS } from "../metrics.js";
import { type Manifest, PROFILES } from "./kustomize.js";
import { profile } from "./profile.js";

const here = fileURLToPath(new URL(".", import.meta.url));
/** edge.yaml's sizing figures (docs/BENCHMARKS.md S2; idle RSS measured for docs/DEPLOY.md), bytes. */
const IDLE_RSS = 81e6;
const RSS_PER_CONNECTION = 47e3;
const MI = 2 ** 20;

const monitored = Object.keys(PROFILES).filter((n) => profile(n).byKind("ServiceMonitor").length > 0);
const autoscaled = Object.keys(PROFILES).filter(
  (n) => profile(n).byKind("HorizontalPodAutoscaler").length > 0,
);
const gated = Object.keys(PROFILES).filter((n) =>
  profile(n)
    .byKind("ConfigMap")
    .some((c) => c.data["gates.json"]),
);

describe("deploy/k8s monitoring", () => {
  it("is in staging and production", () => {
    expect(monitored).toEqual(["staging", "production", "production-shadow"]);
    expect(autoscaled).toEqual(["production", "production-shadow"]);
    expect(gated).toEqual(["production", "production-shadow"]);
  });

  it("has the PrometheusRule generated from deploy/prometheus/alerts.yml, unchanged", () => {
    const generated = spawnSync("node", [`${here}prometheus-rule.mjs`, "--stdout"], { encoding: "utf8" });
    expect(generated.status, generated.stderr).toBe(0);
    const committed = readFileSync(`${here}components/monitoring/prometheus-rule.yaml`, "utf8");
    expect(committed, "run `node deploy/k8s/prometheus-rule.mjs`").toBe(generated.stdout);
    const alerts = parse(readFileSync(`${here}../prometheus/alerts.yml`, "utf8"));
    for (const name of monitored) {
      const [rule] = profile(name).byKind("PrometheusRule");
      expect(rule.spec.groups).toEqual(alerts.groups);
    }
  });

  for (const name of monitored) {
    it(`${name}: the ServiceMonitor scrapes the admin port of every process, as one job`, () => {
      const p = profile(name);
      const [monitor] = p.byKind("ServiceMonitor");
      const services = p
        .byKind("Service")
        .filter((s) =>
          Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels[k] === v),
        );
      const [endpoint] = monitor.spec.endpoints;
      expect(endpoint.path).toBe("/metrics");
      for (const w of p.ours) {
        const covering = services.filter((s) => p.selects(s.spec.selector, w));
        expect(covering, w.metadata.name).toHaveLength(1);
        const port = covering[0].spec.ports.find((x: Manifest) => x.name === endpoint.port);
        const container = w.spec.template.spec.containers[0];
        expect(container.ports.map((x: Manifest) => x.name)).toContain(port.targetPort);
        // The admin server binds loopback unless told (docs/OPERATIONS.md#admin-port).
        expect(p.envOf(w).COLLABBLOCKS_ADMIN_HOST).toBe("0.0.0.0");
      }
      // One job per deployment: the alerts group by it and the dashboard's $job picks it.
      const jobs = new Set(services.map((s) => s.metadata.labels[monitor.spec.jobLabel]));
      expect(jobs.size).toBe(1);
      expect([...jobs][0]).toBe(name === "staging" ? "collabblocks-staging" : "collabblocks");
    });
  }

  for (const name of autoscaled) {
    it(`${name}: the HPA scales the edges on a gauge the adapter serves, within their requests`, () => {
      const p = profile(name);
      const [hpa] = p.byKind("HorizontalPodAutoscaler");
      const target = p.named(hpa.spec.scaleTargetRef.kind, hpa.spec.scaleTargetRef.name);
      expect(target.spec.replicas, "the HPA owns the replica count").toBeUndefined();
      const pdb = p.byKind("PodDisruptionBudget").find((x) => p.selects(x.spec.selector.matchLabels, target));
      expect(hpa.spec.minReplicas).toBeGreaterThan(pdb.spec.maxUnavailable);

      const [metric] = hpa.spec.metrics;
      const adapter = parse(
        readFileSync(`${here}components/autoscaling/prometheus-adapter-values.yaml`, "utf8"),
      );
      const rule = adapter.rules.custom.find((r: Manifest) => r.name.as === metric.pods.metric.name);
      expect(rule, "a prometheus-adapter rule serving the metric").toBeDefined();
      const series = /^(\w+)\{/.exec(rule.seriesQuery)![1];
      expect(PRESENCE_METRICS.find((m) => m.name === series)?.type).toBe("gauge");
      expect(rule.resources.overrides.pod).toEqual({ resource: "pod" });

      const perEdge = Number(metric.pods.target.averageValue);
      const memory = target.spec.template.spec.containers[0].resources;
      expect(parseInt(memory.requests.memory, 10) * MI).toBeGreaterThanOrEqual(
        IDLE_RSS + perEdge * RSS_PER_CONNECTION,
      );
      expect(parseInt(memory.limits.memory, 10) * MI).toBeGreaterThanOrEqual(
        IDLE_RSS + 2 * perEdge * RSS_PER_CONNECTION,
      );
    });
  }

  for (const name of gated) {
    it(`${name}: the gates file is one the edges accept`, () => {
      const [gates] = profile(name)
        .byKind("ConfigMap")
        .filter((c) => c.data["gates.json"]);
      expect(() => parseGatesJson(gates.data["gates.json"])).not.toThrow();
    });
  }
});
