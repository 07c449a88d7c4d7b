// Import directions (.dependency-cruiser.cjs, CONTRIBUTING.md "Imports flow one
// way") are part of `npm test`: the real tree must have no violation, and the rule
// set must catch each kind of violation in a small tree laid out like ours.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");
const config = join(root, ".dependency-cruiser.cjs");

interface Violation {
  readonly from: string;
  readonly to: string;
  readonly rule: { readonly name: string };
}

function cruise(cwd: string, paths: string[]): readonly Violation[] {
  const run = spawnSync(process.execPath, [bin, "--config", config, "--output-type", "json", ...paths], {
    cwd,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.stdout === "") throw new Error(`dependency-cruiser failed: ${run.stderr}`);
  return (JSON.parse(run.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe("import directions", () => {
  it("hold in the repository", () => {
    const violations = cruise(root, ["packages", "apps"]);
    expect(violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  });

  it("are enforced: each forbidden import in a tree laid out like ours is reported", () => {
    const dir = mkdtempSync(join(tmpdir(), "cb-imports-"));
    temps.push(dir);
    const files: Record<string, string> = {
      "tsconfig.check.json": '{"compilerOptions":{"module":"nodenext","moduleResolution":"nodenext"}}',
      "packages/server/src/edge/part.ts":
        'import { start } from "../cli/main.js";\nexport const x = start;\n',
      "packages/server/src/cli/main.ts":
        'import { role } from "../roles/role.js";\nexport const start = role;\n',
      "packages/server/src/roles/role.ts": 'import { y } from "../cli/other.js";\nexport const role = y;\n',
      "packages/server/src/cli/other.ts": "export const y = 1;\n",
      "packages/protocol/src/index.ts":
        'import { z } from "../../client/src/index.js";\nexport const p = z;\n',
      "packages/client/src/index.ts":
        'import { p } from "../../protocol/src/index.js";\nexport const z = p;\n',
      "packages/edge-worker/src/index.ts":
        'import { y } from "../../server/src/cli/other.js";\nexport const w = y;\n',
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const rules = new Set(cruise(dir, ["packages"]).map((v) => v.rule.name));
    expect(rules).toEqual(
      new Set([
        "parts-import-no-role-or-cli",
        "roles-import-no-cli",
        "protocol-imports-no-package",
        "no-circular",
        "edge-worker-imports-only-portable-server",
      ]),
    );
  });
});
