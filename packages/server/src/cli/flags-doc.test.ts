// docs/OPERATIONS.md's flag table is checked against the one table of flags
// (flags.ts): every flag has a row with its environment variable, and the row's
// default is the table's, so a default changed in code cannot go stale in the doc.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { COMMANDS, envName, FLAGS, type FlagSpec } from "./flags.js";

const doc = readFileSync(new URL("../../../../docs/OPERATIONS.md", import.meta.url), "utf8");

/** The cells of the flag's row in the doc: [flag, env, default, meaning]. */
function rowOf(spec: FlagSpec): string[] | undefined {
  const line = doc.split("\n").find((l) => l.startsWith(`| \`--${spec.name}\` |`));
  return line
    ?.split(/(?<!\\)\|/)
    .slice(1, -1)
    .map((c) => c.trim());
}

/** What the doc's default cell must show for a flag. */
function expectedDefaultTokens(spec: FlagSpec): string[] {
  const d = spec.default;
  if (d === undefined) return ["—"];
  if ("text" in d) return [];
  if ("value" in d) return [`\`${d.value}\``];
  return [...new Set(COMMANDS.map((c) => `\`${d.byCommand[c]}\``))];
}

describe("docs/OPERATIONS.md flag table", () => {
  it("has a row per flag with its environment variable", () => {
    for (const spec of FLAGS) {
      const row = rowOf(spec);
      expect(row, `--${spec.name} missing from docs/OPERATIONS.md`).toBeDefined();
      expect(row?.[1]).toBe(`\`${envName(spec.name)}\``);
    }
  });

  it("shows each flag's default as the flag table defines it", () => {
    for (const spec of FLAGS) {
      const cell = rowOf(spec)?.[2] ?? "";
      const tokens = expectedDefaultTokens(spec);
      if (tokens[0] === "—") expect(cell.startsWith("—"), `--${spec.name}: ${cell}`).toBe(true);
      for (const token of tokens) expect(cell, `--${spec.name}`).toContain(token);
    }
  });

  it("would catch a stale default", () => {
    const tick = FLAGS.find((f) => f.name === "tick-ms") as FlagSpec;
    const stale: FlagSpec = { ...tick, default: { value: 17 } };
    expect(rowOf(stale)?.[2]).not.toContain(expectedDefaultTokens(stale)[0]);
  });
});
