import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { PRESENCE_METRICS, serverMetricNames } from "./metrics.js";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

describe("serverMetricNames", () => {
  it("reads presence_* string literals from ops sources, skipping tests", () => {
    const root = mkdtempSync(join(tmpdir(), "presence-ops-"));
    try {
      const ops = join(root, "packages/server/src/ops");
      mkdirSync(ops, { recursive: true });
      writeFileSync(
        join(ops, "a.ts"),
        'new Gauge({ name: "presence_a", help: "x" }); f(`presence_b_total`);',
      );
      writeFileSync(join(ops, "a.test.ts"), 'expect(text).toContain("presence_from_a_test");');
      expect([...(serverMetricNames(root) ?? [])].sort()).toEqual(["presence_a", "presence_b_total"]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("gives undefined while the server has no ops sources", () => {
    expect(serverMetricNames(join(tmpdir(), "no-such-repo"))).toBeUndefined();
  });
});

// The contract list and the server must agree both ways: a contract metric the
// server lacks leaves empty panels; a server metric missing here is undocumented.
describe.skipIf(serverMetricNames(repoRoot) === undefined)("the server's registered metrics", () => {
  const registered = serverMetricNames(repoRoot) ?? new Set<string>();

  it("include every contract metric of docs/OPERATIONS.md#metrics", () => {
    for (const { name } of PRESENCE_METRICS) expect([...registered], name).toContain(name);
  });

  it("are all listed in deploy/metrics.ts (and so documented in docs/OPERATIONS.md)", () => {
    const known = new Set(PRESENCE_METRICS.map((m) => m.name));
    const missing = [...registered].filter((name) => !known.has(name));
    expect(missing, "add these to deploy/metrics.ts and docs/OPERATIONS.md").toEqual([]);
  });
});
