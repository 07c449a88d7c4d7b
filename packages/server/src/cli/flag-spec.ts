// The shape of a CLI flag (docs/OPERATIONS.md#flags-and-environment-variables)
// and what every flag shares: its environment variable, its default for a
// command, how --help shows that default, and how a raw string becomes its
// value. The table of flags itself is cli/flags.ts.

export type Command = "dev" | "serve" | "pod" | "edge";
export const COMMANDS: readonly Command[] = ["dev", "serve", "pod", "edge"];

/** `switch`: a boolean flag that takes no value (`--name`, or `--name=true|false`; env `1`/`true`). */
export type Kind = "int" | "string" | "url" | "switch";
export type Value = number | string;

/**
 * A flag's default: one value for every command, a value per command, or a
 * description of a computed default (`text`). Absent: the flag is off/unset
 * unless given. This table is the one source: parsing, --help and the
 * docs/OPERATIONS.md check (cli/flags-doc.test.ts) all read it.
 */
export type FlagDefault =
  | { readonly value: Value }
  | { readonly byCommand: Readonly<Record<Command, Value>> }
  | { readonly text: string };

export interface FlagSpec {
  readonly name: string;
  readonly kind: Kind;
  readonly help: string;
  readonly min?: number;
  readonly max?: number;
  readonly default?: FlagDefault;
  /** A value that is not one kind (a port or `public`): parses or throws one line naming `source`. */
  readonly parse?: (raw: string, source: string) => Value;
}

export function envName(flag: string): string {
  return `COLLABBLOCKS_${flag.toUpperCase().replace(/-/g, "_")}`;
}

/** The default a command gets for a flag, or undefined (unset / computed elsewhere). */
export function defaultFor(spec: FlagSpec, command: Command): Value | undefined {
  const d = spec.default;
  if (d === undefined || "text" in d) return undefined;
  return "value" in d ? d.value : d.byCommand[command];
}

/** How --help and the docs show a default. */
export function describeDefault(d: FlagDefault): string {
  if ("value" in d) return String(d.value);
  if ("text" in d) return d.text;
  const groups = new Map<Value, Command[]>();
  for (const c of COMMANDS) groups.set(d.byCommand[c], [...(groups.get(d.byCommand[c]) ?? []), c]);
  return [...groups].map(([v, cs]) => `${cs.join(", ")}: ${v}`).join("; ");
}

/** A raw value from argv or the environment, as its flag's kind; throws one line naming `source`. */
export function convert(spec: FlagSpec, raw: string, source: string): number | string {
  if (spec.kind === "switch") {
    if (raw === "1" || raw === "true") return "true";
    if (raw === "0" || raw === "false") return "false";
    throw new Error(`${source} must be true or false`);
  }
  if (spec.kind === "int") {
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n))
      throw new Error(`${source} must be an integer`);
    if (spec.min !== undefined && n < spec.min) throw new Error(`${source} must be ≥ ${spec.min}`);
    if (spec.max !== undefined && n > spec.max) throw new Error(`${source} must be ≤ ${spec.max}`);
    return n;
  }
  if (spec.kind === "url") {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new Error(`${source} must be a URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error(`${source} must be http(s)`);
    return raw;
  }
  if (raw === "") throw new Error(`${source} must not be empty`);
  return spec.parse ? spec.parse(raw, source) : raw;
}
