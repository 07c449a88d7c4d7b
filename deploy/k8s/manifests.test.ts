// Every profile of deploy/k8s (the base and each overlay), rendered and checked
// against the Kubernetes API schemas and against the code it starts: no cluster is
// needed, so what a cluster would only reject at apply time (or silently ignore,
// like a misspelt COLLABBLOCKS_ variable) fails here instead.

import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Service } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import {
  COMMANDS,
  DEFAULT_GRPC_PORT,
  DEFAULT_PORT,
  envName,
  FLAGS,
  parseCli,
} from "../../packages/server/src/cli/flags.js";
import { DEFAULT_ADMIN_PORT } from "../../packages/server/src/ops/admin-server.js";
import { type Manifest, PROFILES } from "./kustomize.js";
import { profile } from "./profile.js";

// The CLI exits at most 4.5 s after SIGTERM (docs/OPERATIONS.md#shutdown-and-signals).
const DRAIN_S = 4.5;
// Containerfile: USER 10001:10001.
const IMAGE_UID = 10001;
/** Where Prometheus runs: the only namespace network-policy.yaml lets reach /metrics. */
const MONITORING_NAMESPACE = "monitoring";

/** The Kubernetes OpenAPI schemas (kubernetes-models) and the Prometheus operator's CRDs. */
const MODELS: Readonly<Record<string, new (data: Manifest) => { validate(): void }>> = {
  ConfigMap,
  Deployment,
  HorizontalPodAutoscaler,
  NetworkPolicy,
  PodDisruptionBudget,
  PrometheusRule,
  Service,
  ServiceMonitor,
  StatefulSet,
};
const flagEnv = new Set(FLAGS.map((f) => envName(f.name)));

for (const name of Object.keys(PROFILES)) {
  describe(`deploy/k8s ${name}`, () => {
    const p = profile(name);

    it("validates every manifest against the Kubernetes API and Prometheus operator schemas", () => {
      expect(p.ours.length).toBe(2);
      for (const d of p.docs) {
        const Model = MODELS[d.kind];
        expect(Model, `a schema for ${d.kind}`).toBeDefined();
        expect(() => new Model!(d).validate(), `${d.kind} ${d.metadata.name}`).not.toThrow();
      }
    });

    it("sets only COLLABBLOCKS_ variables that are CLI flags, and the CLI accepts them", () => {
      for (const w of p.ours) {
        const env = p.envOf(w);
        const names = Object.keys(env).filter((n) => n.startsWith("COLLABBLOCKS_"));
        expect(names.filter((n) => !flagEnv.has(n))).toEqual([]);
        const args = w.spec.template.spec.containers[0].args;
        expect(COMMANDS).toContain(args[0]);
        const parsed = parseCli(args, env);
        expect(parsed.kind === "error" ? parsed.message : parsed.kind, w.metadata.name).toBe("run");
      }
    });

    it("pins a release of the image outside dev", () => {
      for (const w of p.ours) {
        const { image } = w.spec.template.spec.containers[0];
        if (name === "base" || name === "dev") expect(image).toBe("localhost/collabblocks:latest");
        else expect(image).toMatch(/^(?!localhost\/).+:\d+\.\d+\.\d+$/);
      }
    });

    it("probes /readyz for readiness and /healthz for liveness on the HTTP port", () => {
      for (const w of p.ours) {
        const [c] = w.spec.template.spec.containers;
        expect(c.ports.find((x: Manifest) => x.name === "http").containerPort).toBe(DEFAULT_PORT);
        expect(c.ports.find((x: Manifest) => x.name === "admin").containerPort).toBe(DEFAULT_ADMIN_PORT);
        expect(c.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http" });
        expect(c.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
      }
    });

    it("gives SIGTERM's drain, after any preStop, room within the grace period", () => {
      for (const w of p.ours) {
        const spec = w.spec.template.spec;
        const preStop = spec.containers[0].lifecycle?.preStop?.exec?.command;
        const preStopS = preStop ? Number(preStop[1]) : 0;
        expect(spec.terminationGracePeriodSeconds, w.metadata.name).toBeGreaterThanOrEqual(
          preStopS + DRAIN_S + 1,
        );
      }
    });

    it("runs as the image's non-root user with a read-only root and resource requests", () => {
      for (const w of p.workloads) {
        const spec = w.spec.template.spec;
        expect(spec.securityContext.runAsNonRoot, w.metadata.name).toBe(true);
        if (p.ours.includes(w)) expect(spec.securityContext.runAsUser).toBe(IMAGE_UID);
        const [c] = spec.containers;
        expect(c.securityContext).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
        });
        expect(c.resources.requests.cpu).toBeTruthy();
        expect(c.resources.requests.memory).toBeTruthy();
      }
    });

    it("covers each of its workloads with a PodDisruptionBudget and each workload with a NetworkPolicy", () => {
      for (const w of p.workloads) {
        expect(w.spec.selector.matchLabels).toEqual(w.spec.template.metadata.labels);
        const kinds = p.ours.includes(w) ? ["PodDisruptionBudget", "NetworkPolicy"] : ["NetworkPolicy"];
        for (const kind of kinds) {
          const covering = p
            .byKind(kind)
            .filter((x) =>
              p.selects((kind === "NetworkPolicy" ? x.spec.podSelector : x.spec.selector).matchLabels, w),
            );
          expect(covering, `${kind} for ${w.metadata.name}`).toHaveLength(1);
        }
      }
    });

    it("keeps gRPC to the edges and /metrics to the monitoring namespace", () => {
      const pods = p.named("StatefulSet", "collabblocks-pod");
      const edge = p.named("Deployment", "collabblocks-edge");
      const policy = (w: Manifest): Manifest[] =>
        p.byKind("NetworkPolicy").find((x) => p.selects(x.spec.podSelector.matchLabels, w)).spec.ingress;
      const grpc = policy(pods).filter((r) => r.ports.some((x: Manifest) => x.port === DEFAULT_GRPC_PORT));
      expect(grpc).toEqual([
        {
          from: [{ podSelector: { matchLabels: edge.spec.template.metadata.labels } }],
          ports: [{ port: DEFAULT_GRPC_PORT }],
        },
      ]);
      for (const w of p.ours) {
        const admin = policy(w).filter((r) => r.ports.some((x: Manifest) => x.port === DEFAULT_ADMIN_PORT));
        expect(admin, w.metadata.name).toEqual([
          {
            from: [
              { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": MONITORING_NAMESPACE } } },
            ],
            ports: [{ port: DEFAULT_ADMIN_PORT }],
          },
        ]);
      }
    });

    it("lists every pod of the StatefulSet, by its stable DNS name, in the edges' --pods", () => {
      const pods = p.named("StatefulSet", "collabblocks-pod");
      const edgeEnv = p.envOf(p.named("Deployment", "collabblocks-edge"));
      const grpcPort = Number(p.envOf(pods)[envName("grpc-port")] ?? DEFAULT_GRPC_PORT);
      const expected = Array.from(
        { length: pods.spec.replicas },
        (_, i) => `${pods.metadata.name}-${i}.${pods.spec.serviceName}:${grpcPort}`,
      );
      expect(edgeEnv[envName("pods")]!.split(",")).toEqual(expected);
      expect(p.named("Service", pods.spec.serviceName).spec.clusterIP).toBe("None");
    });

    it("mounts every file a COLLABBLOCKS_ variable names, from a ConfigMap or Secret that holds it", () => {
      const fileFlags = ["gates-file", "shadow-token-key"].map(envName);
      for (const w of p.ours) {
        const env = p.envOf(w);
        const spec = w.spec.template.spec;
        for (const file of fileFlags.map((f) => env[f]).filter((f) => f !== undefined)) {
          const mount = spec.containers[0].volumeMounts.find((m: Manifest) =>
            file.startsWith(`${m.mountPath}/`),
          );
          expect(mount, file).toBeDefined();
          expect(mount.subPath, "subPath mounts never see updates").toBeUndefined();
          const volume = spec.volumes.find((v: Manifest) => v.name === mount.name);
          const key = file.slice(mount.mountPath.length + 1);
          if (volume.configMap)
            expect(Object.keys(p.named("ConfigMap", volume.configMap.name).data)).toContain(key);
          else {
            // A Secret made by the operator (components/shadow): readable by the image's group only.
            expect(volume.secret.defaultMode).toBe(0o440);
            expect(spec.securityContext.fsGroup).toBe(IMAGE_UID);
          }
        }
      }
    });
  });
}
