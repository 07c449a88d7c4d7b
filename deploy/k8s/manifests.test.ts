// Structural checks of deploy/k8s and deploy/compose against the code they start:
// no cluster is needed, so what a cluster would only reject at apply time (a
// misspelt COLLABBLOCKS_ variable is silently ignored!) fails here instead.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Service } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import {
  COMMANDS,
  DEFAULT_GRPC_PORT,
  DEFAULT_PORT,
  envName,
  FLAGS,
} from "../../packages/server/src/cli/flags.js";
import { DEFAULT_ADMIN_PORT } from "../../packages/server/src/ops/admin-server.js";

const here = fileURLToPath(new URL(".", import.meta.url));
// The CLI exits at most 4.5 s after SIGTERM (docs/OPERATIONS.md#shutdown-and-signals).
const DRAIN_S = 4.5;
// Containerfile: USER 10001:10001.
const IMAGE_UID = 10001;

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML (compose merge keys `<<` resolved) is checked field by field.
type Doc = any;
const load = (path: string): Doc[] =>
  parseAllDocuments(readFileSync(path, "utf8"), { merge: true }).map((d) => {
    expect(d.errors, path).toEqual([]);
    return d.toJS();
  });

const kustomization = load(`${here}kustomization.yaml`)[0];
const docs: Doc[] = kustomization.resources.flatMap((f: string) => load(`${here}${f}`));
const byKind = (kind: string): Doc[] => docs.filter((d) => d.kind === kind);
const workloads = [...byKind("Deployment"), ...byKind("StatefulSet")];
const flagEnv = new Set(FLAGS.map((f) => envName(f.name)));

/** Every COLLABBLOCKS_ name a manifest sets: ConfigMap keys and container env. */
function collabEnvNames(): string[] {
  const names = byKind("ConfigMap").flatMap((c) => Object.keys(c.data));
  for (const w of workloads)
    for (const c of w.spec.template.spec.containers) names.push(...(c.env ?? []).map((e: Doc) => e.name));
  return names.filter((n) => n.startsWith("COLLABBLOCKS_"));
}

/** The Kubernetes OpenAPI schemas (kubernetes-models) for every kind the base uses. */
const MODELS: Readonly<Record<string, new (data: Doc) => { validate(): void }>> = {
  ConfigMap,
  Deployment,
  NetworkPolicy,
  PodDisruptionBudget,
  Service,
  StatefulSet,
};

describe("deploy/k8s", () => {
  it("validates every manifest against the Kubernetes API schemas", () => {
    for (const d of docs) {
      const Model = MODELS[d.kind];
      expect(Model, `a schema for ${d.kind}`).toBeDefined();
      expect(() => new Model!(d).validate(), `${d.kind} ${d.metadata.name}`).not.toThrow();
    }
  });

  it("sets only COLLABBLOCKS_ variables that are CLI flags", () => {
    const names = collabEnvNames();
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => !flagEnv.has(n))).toEqual([]);
  });

  it("starts each container as a CLI command with its ConfigMap", () => {
    const configMaps = new Set(byKind("ConfigMap").map((c) => c.metadata.name));
    for (const w of workloads) {
      const [c] = w.spec.template.spec.containers;
      expect(COMMANDS).toContain(c.args[0]);
      for (const from of c.envFrom) expect(configMaps).toContain(from.configMapRef.name);
    }
  });

  it("probes /readyz for readiness and /healthz for liveness on the HTTP port", () => {
    for (const w of workloads) {
      const [c] = w.spec.template.spec.containers;
      const http = c.ports.find((p: Doc) => p.name === "http");
      expect(http.containerPort).toBe(DEFAULT_PORT);
      expect(c.ports.find((p: Doc) => p.name === "admin").containerPort).toBe(DEFAULT_ADMIN_PORT);
      expect(c.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http" });
      expect(c.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
    }
  });

  it("gives SIGTERM's drain, after any preStop, room within the grace period", () => {
    for (const w of workloads) {
      const spec = w.spec.template.spec;
      const preStop = spec.containers[0].lifecycle?.preStop?.exec?.command;
      const preStopS = preStop ? Number(preStop[1]) : 0;
      expect(spec.terminationGracePeriodSeconds, w.metadata.name).toBeGreaterThanOrEqual(
        preStopS + DRAIN_S + 1,
      );
    }
  });

  it("runs as the image's non-root user with a read-only root and resource requests", () => {
    for (const w of workloads) {
      const spec = w.spec.template.spec;
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: IMAGE_UID });
      const [c] = spec.containers;
      expect(c.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
      });
      expect(c.resources.requests.cpu).toBeTruthy();
      expect(c.resources.requests.memory).toBeTruthy();
    }
  });

  it("covers every workload with a PodDisruptionBudget and a NetworkPolicy", () => {
    for (const w of workloads) {
      const labels = w.spec.template.metadata.labels;
      expect(w.spec.selector.matchLabels).toEqual(labels);
      for (const kind of ["PodDisruptionBudget", "NetworkPolicy"]) {
        const covering = byKind(kind).filter((p) => {
          const sel = kind === "NetworkPolicy" ? p.spec.podSelector : p.spec.selector;
          return Object.entries(sel.matchLabels).every(([k, v]) => labels[k] === v);
        });
        expect(covering, `${kind} for ${w.metadata.name}`).toHaveLength(1);
      }
    }
  });

  it("lists every pod of the StatefulSet, by its stable DNS name, in the edges' --pods", () => {
    const [pods] = byKind("StatefulSet");
    const edgeConfig = byKind("ConfigMap").find((c) => c.data[envName("pods")] !== undefined);
    const podConfig = byKind("ConfigMap").find((c) => c.metadata.name === "collabblocks-pod");
    const grpcPort = Number(podConfig.data[envName("grpc-port")] ?? DEFAULT_GRPC_PORT);
    const expected = Array.from(
      { length: pods.spec.replicas },
      (_, i) => `${pods.metadata.name}-${i}.${pods.spec.serviceName}:${grpcPort}`,
    );
    expect(edgeConfig.data[envName("pods")].split(",")).toEqual(expected);
    const headless = byKind("Service").find((s) => s.metadata.name === pods.spec.serviceName);
    expect(headless.spec.clusterIP).toBe("None");
  });
});

describe("deploy/compose", () => {
  const services = (file: string): [string, Doc][] =>
    Object.entries<Doc>(load(`${here}../compose/${file}`)[0].services);
  const ours = (svc: Doc): boolean => String(svc.image).startsWith("${COLLABBLOCKS_IMAGE");

  for (const file of ["scaled.yml", "split.yml"]) {
    it(`${file} sets only flag variables and runs CLI commands`, () => {
      const mine = services(file).filter(([, svc]) => ours(svc));
      expect(mine.length).toBeGreaterThan(2);
      for (const [name, svc] of mine) {
        expect(COMMANDS, name).toContain(svc.command[0]);
        const env = Object.keys(svc.environment ?? {}).filter((n) => n.startsWith("COLLABBLOCKS_"));
        expect(env.filter((n) => !flagEnv.has(n))).toEqual([]);
      }
    });
  }

  it("has Prometheus scrape every serve container's admin port, which binds beyond loopback", () => {
    const [config] = load(`${here}../compose/prometheus.yml`);
    const targets: string[] = config.scrape_configs.flatMap((j: Doc) => j.static_configs[0].targets);
    const serves = services("scaled.yml").filter(([, svc]) => ours(svc) && svc.command[0] === "serve");
    expect(targets.sort()).toEqual(serves.map(([name]) => `${name}:${DEFAULT_ADMIN_PORT}`).sort());
    for (const [, svc] of serves) expect(svc.environment[envName("admin-host")]).toBe("0.0.0.0");
    expect(config.rule_files).toEqual(["/etc/prometheus/alerts.yml"]);
  });
});
