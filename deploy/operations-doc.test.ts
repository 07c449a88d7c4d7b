import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../packages/server/src/cli/flag-spec.js";
import { FLAGS } from "../packages/server/src/cli/flags.js";
import { PRESENCE_METRICS } from "./metrics.js";
import { readRules } from "./promql.js";

// docs/OPERATIONS.md is checked against the artefacts it describes, so a new
// metric, flag or alert cannot land undocumented and a runbook link cannot dangle.
const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const doc = readFileSync(`${repoRoot}docs/OPERATIONS.md`, "utf8");
const lines = doc.split("\n");

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}

const anchors = new Set(lines.filter((l) => /^#{1,6} /.test(l)).map((l) => slug(l.replace(/^#+ /, ""))));

/** Flag names and commands as the CLI defines them (read from source: the CLI module runs on import). */
function cliDefinitions(): { flags: string[]; commands: string[] } {
  return { flags: FLAGS.map((f) => f.name), commands: [...COMMANDS] };
}

describe("docs/OPERATIONS.md", () => {
  it("computes GitHub anchors the way GitHub does", () => {
    expect(slug("Flags and environment variables")).toBe("flags-and-environment-variables");
    expect(slug("PresenceRttP95High")).toBe("presencerttp95high");
    expect(slug("HTTP endpoints and health")).toBe("http-endpoints-and-health");
  });

  it("documents every metric with its type", () => {
    for (const { name, type } of PRESENCE_METRICS) {
      expect(
        lines.some((l) => l.startsWith(`| \`${name}\` | ${type} |`)),
        `${name} (${type})`,
      ).toBe(true);
    }
  });

  it("has a runbook heading for every alert's runbook_url", () => {
    const rules = readRules(readFileSync(`${repoRoot}deploy/prometheus/alerts.yml`, "utf8"));
    const alerts = rules.filter((r) => r.kind === "alert");
    expect(alerts.length).toBeGreaterThan(0);
    for (const alert of alerts) {
      expect(lines, alert.name).toContain(`### ${alert.name}`);
      const anchor = alert.runbookUrl?.split("#")[1] ?? "";
      expect([...anchors], `${alert.name} → #${anchor}`).toContain(anchor);
    }
  });

  it("has no link to a missing section", () => {
    for (const [, anchor] of doc.matchAll(/\]\(#([^)]+)\)/g)) expect([...anchors]).toContain(anchor);
  });

  it("lists every CLI flag as available, with its environment variable", () => {
    const { flags } = cliDefinitions();
    expect(flags.length).toBeGreaterThan(0);
    for (const flag of flags) {
      const env = `COLLABBLOCKS_${flag.toUpperCase().replace(/-/g, "_")}`;
      const row = lines.find((l) => l.startsWith(`| \`--${flag}\` | \`${env}\` |`));
      expect(row, `--${flag}`).toBeDefined();
      expect(row, `--${flag} is in the CLI now: move it to the available table`).not.toMatch(/\| planned/);
    }
  });

  it("marks every CLI command's running mode as available", () => {
    const { commands } = cliDefinitions();
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) {
      const rows = lines.filter((l) => l.startsWith("|") && l.includes(`\`collabblocks ${command}`));
      expect(
        rows.some((r) => r.trimEnd().endsWith("| available |")),
        command,
      ).toBe(true);
    }
  });
});
