// Reading flag values (cli/flags.ts): argv first, then COLLABBLOCKS_* variables
// for flags argv did not give, then the table's default for the command. Each
// value is converted as its flag's kind on the way in, so a bad one is one error
// line naming where it came from (`--port`, `COLLABBLOCKS_PORT`).
import {
  COMMANDS,
  type Command,
  convert,
  defaultFor,
  envName,
  type FlagSpec,
  type Value,
} from "./flag-spec.js";

/** The values given, by flag name, already converted. */
export type FlagValues = Map<string, Value>;

export type ArgvRead =
  | { readonly kind: "help" }
  | { readonly kind: "run"; readonly command: Command; readonly values: FlagValues };

/** The command and the flags of argv (`--name value`, `--name=value`, a bare switch). Throws Error. */
export function readArgv(argv: readonly string[], flags: readonly FlagSpec[]): ArgvRead {
  const values: FlagValues = new Map();
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h" || arg === "help") return { kind: "help" };
    if (!arg.startsWith("--")) {
      if (command !== undefined) throw new Error(`unexpected argument "${arg}"`);
      command = arg;
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = flags.find((f) => f.name === name);
    if (!spec) throw new Error(`unknown flag --${name} (see --help)`);
    let raw: string | undefined;
    if (eq !== -1) raw = arg.slice(eq + 1);
    else if (spec.kind === "switch") raw = "true";
    else {
      raw = argv[i + 1];
      i++;
      if (raw === undefined || raw.startsWith("--")) throw new Error(`--${name} needs a value`);
    }
    values.set(name, convert(spec, raw, `--${name}`));
  }
  if (command === undefined) return { kind: "help" };
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw new Error(`unknown command "${command}" (expected ${COMMANDS.join(" or ")})`);
  }
  return { kind: "run", command: command as Command, values };
}

/** Adds each flag argv did not give from its non-empty environment variable. Throws Error. */
export function readEnv(
  values: FlagValues,
  env: Readonly<Record<string, string | undefined>>,
  flags: readonly FlagSpec[],
): void {
  for (const spec of flags) {
    const raw = env[envName(spec.name)];
    if (!values.has(spec.name) && raw !== undefined && raw !== "") {
      values.set(spec.name, convert(spec, raw, envName(spec.name)));
    }
  }
}

/** A flag's value, given or the command's default; a flag with neither is a bug in the caller. */
export type ValueOf = <T extends Value>(name: string) => T;

export function flagGetter(values: FlagValues, flags: readonly FlagSpec[], command: Command): ValueOf {
  return <T extends Value>(name: string): T => {
    const given = values.get(name);
    if (given !== undefined) return given as T;
    const spec = flags.find((f) => f.name === name);
    const fallback = spec === undefined ? undefined : defaultFor(spec, command);
    if (fallback === undefined) throw new Error(`internal: --${name} has no default`);
    return fallback as T;
  };
}
