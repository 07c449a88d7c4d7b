/**
 * Just enough PromQL and rule-file reading to check which series the dashboard
 * and the alert rules query. Not a parser: promtool validates the syntax; this
 * only has to find series names in expressions we write ourselves.
 */

export interface SeriesSelector {
  /** The series name as written, e.g. `presence_rtt_ms_bucket`. */
  readonly name: string;
  /** The label matchers inside `{…}` after the name, without braces ("" if none). */
  readonly matchers: string;
}

// Words that look like series names but are not. Functions and aggregations are
// recognised by the "(" after them; these may appear without one.
const KEYWORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "and",
  "or",
  "unless",
  "offset",
  "atan2",
  "inf",
  "nan",
  "sum",
  "min",
  "max",
  "avg",
  "group",
  "stddev",
  "stdvar",
  "count",
  "count_values",
  "bottomk",
  "topk",
  "quantile",
]);

const BRACES = /\{(?:[^}"']|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')*\}/g;
const STRINGS = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g;
const RANGES = /\[[^\]]*\]/g;
const GROUPING = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g;
// An identifier not glued to a word character, a dot or a `$` (so `5m`, `1e3`,
// `$__rate_interval` and `${job}` are not names), then an optional placeholder
// for its matchers, then whether a "(" follows (a function call).
const IDENTIFIER = /(?<![\w.$])([A-Za-z_:][\w:]*)\s*(?:⟦(\d+)⟧)?\s*(\()?/g;

/** Every series selector in a PromQL expression, in order of appearance. */
export function selectorsIn(expr: string): SeriesSelector[] {
  const braces: string[] = [];
  let rest = expr.replace(BRACES, (block) => {
    braces.push(block.slice(1, -1).trim());
    return `⟦${braces.length - 1}⟧`;
  });
  rest = rest.replace(STRINGS, " ").replace(RANGES, " ").replace(GROUPING, " ");
  const selectors: SeriesSelector[] = [];
  for (const match of rest.matchAll(IDENTIFIER)) {
    const [, name, braceIndex, call] = match;
    if (call !== undefined || KEYWORDS.has(name!.toLowerCase())) continue;
    selectors.push({ name: name!, matchers: braceIndex === undefined ? "" : braces[Number(braceIndex)]! });
  }
  return selectors;
}

export interface RuleEntry {
  /** `alert` or `record` name. */
  readonly name: string;
  readonly kind: "alert" | "record";
  readonly expr: string;
  readonly runbookUrl: string | undefined;
}

/**
 * Reads the rules of a Prometheus rule file written in the plain YAML subset
 * deploy/prometheus/alerts.yml uses: `- alert:`/`- record:` items whose `expr`
 * is one line or a `|`/`>` block, and a one-line `runbook_url`. There is no YAML
 * library in the workspace and the file is validated by `promtool check rules`.
 */
export function readRules(yaml: string): RuleEntry[] {
  const lines = yaml.split("\n");
  const rules: RuleEntry[] = [];
  let current: { name: string; kind: "alert" | "record"; expr: string; runbookUrl?: string } | undefined;
  const finish = () => {
    if (current) rules.push({ ...current, runbookUrl: current.runbookUrl });
    current = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const start = /^\s*- (alert|record):\s*(\S+)\s*$/.exec(line);
    if (start) {
      finish();
      current = { kind: start[1] as "alert" | "record", name: unquote(start[2]!), expr: "" };
      continue;
    }
    if (!current) continue;
    const expr = /^(\s*)expr:\s*(.*)$/.exec(line);
    if (expr) {
      const value = expr[2]!.trim();
      if (!/^[|>][-+]?$/.test(value)) {
        current.expr = unquote(value);
        continue;
      }
      const indent = expr[1]!.length;
      const block: string[] = [];
      while (i + 1 < lines.length) {
        const next = lines[i + 1]!;
        if (next.trim() !== "" && next.length - next.trimStart().length <= indent) break;
        block.push(next.trim());
        i++;
      }
      current.expr = block.join(value.startsWith(">") ? " " : "\n").trim();
      continue;
    }
    const runbook = /^\s*runbook_url:\s*(.+)$/.exec(line);
    if (runbook) current.runbookUrl = unquote(runbook[1]!.trim());
  }
  finish();
  return rules;
}

function unquote(value: string): string {
  const quoted = /^(["'])(.*)\1$/.exec(value);
  return quoted ? quoted[2]! : value;
}
