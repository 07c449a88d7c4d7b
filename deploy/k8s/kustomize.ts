// Renders deploy/k8s's kustomizations in the test, where no kustomize binary can be
// installed (it is not in Debian's or the npm registry). Only the subset of
// kustomize that deploy/k8s uses, and every other field is refused, so a feature
// added to a kustomization without support here fails the test instead of being
// silently ignored. kustomize.test.ts compares this output with `kubectl
// kustomize` wherever kubectl is installed.
import { readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML, checked by kubernetes-models afterwards.
export type Manifest = any;

interface Target {
  readonly kind: string;
  readonly name: string;
}
/** An RFC 6902 operation; kustomize's `patches` with a `target` take a list of them. */
interface PatchOp {
  readonly op: "add" | "replace" | "remove";
  readonly path: string;
  readonly value?: unknown;
}
interface Patch {
  readonly target: Target;
  readonly path?: string;
  readonly patch?: string;
}

const FIELDS = new Set([
  "apiVersion",
  "kind",
  "namespace",
  "labels",
  "resources",
  "components",
  "patches",
  "replicas",
  "images",
]);
/** Kinds without a namespace among those deploy/k8s could use. */
const CLUSTER_SCOPED = new Set([
  "Namespace",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
]);

export function loadYaml(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(file, "utf8")).map((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]!.message}`);
    return d.toJS();
  });
}

/** Renders the kustomization in `dir`: its resources, then its components, then its own transformations. */
export function render(dir: string): Manifest[] {
  const out: Manifest[] = [];
  build(out, dir, "Kustomization");
  return out;
}

/** Adds what `dir` holds to `out`; a component's transformations apply to everything added before it. */
function build(out: Manifest[], dir: string, kind: "Kustomization" | "Component"): void {
  const [k] = loadYaml(join(dir, "kustomization.yaml"));
  if (k.kind !== kind) throw new Error(`${dir}: kind ${k.kind}, expected ${kind}`);
  const unknown = Object.keys(k).filter((f) => !FIELDS.has(f));
  if (unknown.length > 0) throw new Error(`${dir}: kustomization fields not supported here: ${unknown}`);
  for (const r of k.resources ?? []) {
    const path = join(dir, r);
    if (statSync(path).isDirectory()) out.push(...render(path));
    else out.push(...loadYaml(path));
  }
  for (const c of k.components ?? []) build(out, join(dir, c), "Component");
  transform(out, dir, k);
}

function transform(out: Manifest[], dir: string, k: Manifest): void {
  for (const p of (k.patches ?? []) as Patch[]) applyPatch(out, dir, p);
  if (k.namespace) for (const m of out) if (!CLUSTER_SCOPED.has(m.kind)) m.metadata.namespace = k.namespace;
  for (const l of k.labels ?? []) {
    const extra = Object.keys(l).filter((f) => f !== "pairs");
    if (extra.length > 0) throw new Error(`${dir}: labels fields not supported here: ${extra}`);
    for (const m of out) m.metadata.labels = { ...m.metadata.labels, ...l.pairs };
  }
  for (const r of k.replicas ?? []) {
    const hits = out.filter((m) => m.metadata.name === r.name && m.spec?.replicas !== undefined);
    if (hits.length === 0) throw new Error(`${dir}: replicas: nothing named ${r.name} has spec.replicas`);
    for (const m of hits) m.spec.replicas = r.count;
  }
  for (const img of k.images ?? []) setImage(out, img);
}

function setImage(out: Manifest[], img: { name: string; newName?: string; newTag?: string }): void {
  for (const m of out) {
    const pod = m.spec?.template?.spec;
    for (const c of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) {
      const [name, tag] = String(c.image).split(":");
      if (name !== img.name) continue;
      const newTag = img.newTag ?? tag;
      c.image = `${img.newName ?? name}${newTag ? `:${newTag}` : ""}`;
    }
  }
}

function applyPatch(out: Manifest[], dir: string, p: Patch): void {
  const extra = Object.keys(p).filter((f) => !["target", "path", "patch"].includes(f));
  if (extra.length > 0 || !p.target)
    throw new Error(`${dir}: only JSON 6902 patches with a target are supported`);
  const ops = (p.path ? loadYaml(join(dir, p.path))[0] : parseAllDocuments(p.patch!)[0]!.toJS()) as PatchOp[];
  const hits = out.filter((m) => m.kind === p.target.kind && m.metadata.name === p.target.name);
  if (hits.length !== 1)
    throw new Error(`${dir}: patch target ${p.target.kind}/${p.target.name} matched ${hits.length}`);
  for (const op of ops) applyOp(hits[0], op, `${dir}: ${p.target.kind}/${p.target.name}`);
}

/** RFC 6902 add, replace and remove, with RFC 6901 pointers (`-` appends to a list). */
function applyOp(doc: Manifest, op: PatchOp, where: string): void {
  const keys = op.path
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  const last = keys.pop()!;
  let parent = doc;
  for (const key of keys) {
    parent = parent?.[Array.isArray(parent) ? Number(key) : key];
    if (parent === undefined) throw new Error(`${where}: ${op.op} ${op.path}: no ${key}`);
  }
  if (Array.isArray(parent)) {
    const i = last === "-" ? parent.length : Number(last);
    if (op.op === "add") parent.splice(i, 0, structuredClone(op.value));
    else if (i >= parent.length) throw new Error(`${where}: ${op.op} ${op.path}: no element ${i}`);
    else if (op.op === "replace") parent[i] = structuredClone(op.value);
    else parent.splice(i, 1);
    return;
  }
  if (op.op !== "add" && !(last in parent)) throw new Error(`${where}: ${op.op} ${op.path}: no ${last}`);
  if (op.op === "remove") delete parent[last];
  else parent[last] = structuredClone(op.value);
}

const k8sDir = dirname(fileURLToPath(import.meta.url));

/** Every profile, by name: the base and each overlay (docs/DEPLOY.md#kubernetes). */
export const PROFILES: Readonly<Record<string, string>> = {
  base: join(k8sDir, "base"),
  ...Object.fromEntries(
    ["dev", "staging", "production", "production-shadow"].map((o) => [o, join(k8sDir, "overlays", o)]),
  ),
};
