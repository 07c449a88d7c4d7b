import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildGates, type Gates, gateRefusal } from "./gates.js";
import { createGatesWatcher, loadGates } from "./gates-file.js";

const dirs: string[] = [];
function tempFile(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), "cb-gates-"));
  dirs.push(dir);
  const file = join(dir, "gates.json");
  writeFileSync(file, content);
  return file;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("loadGates", () => {
  it("gives the flags' gates when there is no file", () => {
    const gates = loadGates(undefined, { plans: ["pro"] });
    expect(gateRefusal(gates, { plan: "free", org: undefined })).toBe("PLAN_NOT_ENABLED");
  });

  it("adds the file's lists to the flags'", () => {
    const file = tempFile('{"orgs": ["org_partner"]}');
    const gates = loadGates(file, { orgs: ["org_internal"] });
    expect(gateRefusal(gates, { plan: "free", org: "org_partner" })).toBeUndefined();
    expect(gateRefusal(gates, { plan: "free", org: "org_internal" })).toBeUndefined();
    expect(gateRefusal(gates, { plan: "free", org: "org_other" })).toBe("PLAN_NOT_ENABLED");
  });

  it("names the file and the problem in one line", () => {
    expect(() => loadGates("/nonexistent/gates.json", {})).toThrow(
      /^--gates-file \/nonexistent\/gates\.json: cannot read it \(ENOENT\)$/,
    );
    const file = tempFile('{"plans": "pro"}');
    expect(() => loadGates(file, {})).toThrow(/--gates-file .*: "plans" must be an array/);
  });
});

describe("createGatesWatcher", () => {
  it("reloads on demand, reports only real changes, and keeps the old gates after a bad file", () => {
    const file = tempFile('{"plans": ["pro"]}');
    const changes: Gates[] = [];
    const errors: string[] = [];
    const watcher = createGatesWatcher({
      file,
      flags: {},
      initial: loadGates(file, {}),
      onChange: (g) => changes.push(g),
      onError: (m) => errors.push(m),
      intervalMs: 60_000, // the test drives reloads itself
    });
    try {
      expect(watcher.reload()).toBe(true);
      expect(changes).toHaveLength(0); // same gates: nothing to do
      writeFileSync(file, '{"plans": ["pro", "enterprise"]}');
      expect(watcher.reload()).toBe(true);
      expect([...changes[0]!.plans!].sort()).toEqual(["enterprise", "pro"]);
      writeFileSync(file, '{"plans": [');
      expect(watcher.reload()).toBe(false);
      unlinkSync(file);
      expect(watcher.reload()).toBe(false);
      expect(changes).toHaveLength(1);
      expect(errors).toHaveLength(2);
      expect(errors[0]).toMatch(/not valid JSON/);
      expect(errors[1]).toMatch(/cannot read it \(ENOENT\)/);
    } finally {
      watcher.close();
    }
  });

  it("notices a changed file by itself", async () => {
    const file = tempFile('{"orgs": ["org_internal"]}');
    const initial = loadGates(file, {});
    const changed = new Promise<Gates>((resolve) => {
      const watcher = createGatesWatcher({
        file,
        flags: {},
        initial,
        onChange: (g) => {
          watcher.close();
          resolve(g);
        },
        onError: () => {},
        intervalMs: 50,
      });
    });
    await new Promise((r) => setTimeout(r, 120)); // let the first stat happen
    writeFileSync(file, '{"orgs": ["org_internal", "org_partner"], "mode": "any"}');
    const gates = await changed;
    expect(gates).toEqual(buildGates({ orgs: ["org_internal", "org_partner"] }));
  });
});
