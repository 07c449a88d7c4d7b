// One rendered profile of deploy/k8s and the lookups its tests share.
import { type Manifest, PROFILES, render } from "./kustomize.js";

export type Profile = ReturnType<typeof profile>;

/** One rendered profile and the lookups the checks share. */
export function profile(name: string) {
  const docs = render(PROFILES[name]!);
  const byKind = (kind: string): Manifest[] => docs.filter((d) => d.kind === kind);
  const named = (kind: string, n: string): Manifest => byKind(kind).find((d) => d.metadata.name === n);
  const workloads = [...byKind("Deployment"), ...byKind("StatefulSet")];
  // Ours, not the dev overlay's Redis.
  const ours = workloads.filter((w) => w.metadata.name.startsWith("collabblocks-"));
  const selects = (sel: Record<string, string>, w: Manifest): boolean =>
    Object.entries(sel).every(([k, v]) => w.spec.template.metadata.labels[k] === v);
  /** A container's environment as the kubelet gives it (a fieldRef to the name: a replica's name). */
  const envOf = (w: Manifest): Record<string, string> => {
    const c = w.spec.template.spec.containers[0];
    const env: Record<string, string> = { NODE_ENV: "production" };
    for (const from of c.envFrom ?? []) Object.assign(env, named("ConfigMap", from.configMapRef.name).data);
    for (const e of c.env ?? []) env[e.name] = e.value ?? `${w.metadata.name}-0`;
    return env;
  };
  return { docs, byKind, named, workloads, ours, selects, envOf };
}
