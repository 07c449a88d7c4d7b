// The test-side renderer (kustomize.ts) against real kustomize where kubectl is
// installed (`kubectl kustomize`, kustomize v5), and its refusals everywhere.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { type Manifest, PROFILES, render } from "./kustomize.js";

const KUBECTL = process.env.KUBECTL ?? "kubectl";
const kubectlFound = spawnSync(KUBECTL, ["version", "--client"], { encoding: "utf8" }).status === 0;
if (!kubectlFound)
  console.warn(
    `SKIPPING the comparison of deploy/k8s's renderer with kustomize: '${KUBECTL}' not found (set KUBECTL=/path).`,
  );

const key = (m: Manifest): string => `${m.kind}/${m.metadata.namespace ?? ""}/${m.metadata.name}`;
const sorted = (docs: Manifest[]): Manifest[] => [...docs].sort((a, b) => key(a).localeCompare(key(b)));

describe.skipIf(!kubectlFound)("deploy/k8s rendered here and by kustomize", () => {
  for (const [name, dir] of Object.entries(PROFILES)) {
    it(`${name}: the same objects`, () => {
      const run = spawnSync(KUBECTL, ["kustomize", dir], { encoding: "utf8", timeout: 60_000 });
      expect(run.status, run.stderr).toBe(0);
      const theirs = parseAllDocuments(run.stdout).map((d) => d.toJS());
      expect(sorted(render(dir))).toEqual(sorted(theirs));
    });
  }
});

describe("deploy/k8s renderer", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  function kustomization(body: string): string {
    const dir = mkdtempSync(join(tmpdir(), "kustomize-test-"));
    dirs.push(dir);
    writeFileSync(
      join(dir, "cm.yaml"),
      "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm }\ndata: { a: '1' }\n",
    );
    writeFileSync(
      join(dir, "kustomization.yaml"),
      `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [cm.yaml]\n${body}`,
    );
    return dir;
  }

  it("applies a JSON 6902 patch and sets the namespace", () => {
    const dir = kustomization(
      "namespace: ns\npatches:\n  - target: { kind: ConfigMap, name: cm }\n    patch: '[{op: add, path: /data/b, value: \"2\"}]'\n",
    );
    expect(render(dir)).toEqual([
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "cm", namespace: "ns" },
        data: { a: "1", b: "2" },
      },
    ]);
  });

  it("refuses a kustomization field it does not implement, instead of ignoring it", () => {
    expect(() => render(kustomization("namePrefix: x-\n"))).toThrow(/not supported here: namePrefix/);
  });

  it("refuses a patch whose path or target is missing", () => {
    const missingPath =
      "patches:\n  - target: { kind: ConfigMap, name: cm }\n    patch: '[{op: replace, path: /data/b, value: x}]'\n";
    expect(() => render(kustomization(missingPath))).toThrow(/replace \/data\/b: no b/);
    const missingTarget = "patches:\n  - target: { kind: ConfigMap, name: other }\n    patch: '[]'\n";
    expect(() => render(kustomization(missingTarget))).toThrow(/matched 0/);
  });
});
