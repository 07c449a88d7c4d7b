import { describe, expect, it } from "vitest";
import type { FlagSpec } from "./flag-spec.js";
import { flagGetter, readArgv, readEnv } from "./flag-values.js";

const FLAGS: readonly FlagSpec[] = [
  { name: "port", kind: "int", help: "", min: 0, max: 65535, default: { value: 8787 } },
  {
    name: "host",
    kind: "string",
    help: "",
    default: { byCommand: { dev: "lo", serve: "any", pod: "any", edge: "any" } },
  },
  { name: "verbose", kind: "switch", help: "" },
  { name: "pod-id", kind: "string", help: "", default: { text: "computed" } },
];

describe("readArgv", () => {
  it("reads the command, --name value, --name=value and bare switches", () => {
    const read = readArgv(["--port", "1", "serve", "--host=h", "--verbose"], FLAGS);
    expect(read).toEqual({
      kind: "run",
      command: "serve",
      values: new Map<string, string | number>([
        ["port", 1],
        ["host", "h"],
        ["verbose", "true"],
      ]),
    });
  });

  it("asks for help when told to, or when no command is given", () => {
    expect(readArgv(["dev", "--help"], FLAGS)).toEqual({ kind: "help" });
    expect(readArgv(["--port", "1"], FLAGS)).toEqual({ kind: "help" });
  });

  it.each([
    [["dev", "--nope"], "unknown flag --nope (see --help)"],
    [["dev", "--port"], "--port needs a value"],
    [["dev", "--port", "--host"], "--port needs a value"],
    [["dev", "--port", "70000"], "--port must be ≤ 65535"],
    [["dev", "serve"], 'unexpected argument "serve"'],
    [["run"], 'unknown command "run" (expected dev or serve or pod or edge)'],
  ])("refuses %j with one line", (argv, message) => {
    expect(() => readArgv(argv, FLAGS)).toThrow(message);
  });
});

describe("readEnv and flagGetter", () => {
  it("takes a flag from the environment only when argv did not give it, and empty as unset", () => {
    const values = new Map<string, string | number>([["port", 1]]);
    readEnv(values, { COLLABBLOCKS_PORT: "2", COLLABBLOCKS_HOST: "", COLLABBLOCKS_VERBOSE: "1" }, FLAGS);
    expect(values).toEqual(
      new Map<string, string | number>([
        ["port", 1],
        ["verbose", "true"],
      ]),
    );
    expect(() => readEnv(new Map(), { COLLABBLOCKS_PORT: "x" }, FLAGS)).toThrow(
      "COLLABBLOCKS_PORT must be an integer",
    );
  });

  it("falls back to the command's default, and calls a flag without one a bug", () => {
    const get = flagGetter(new Map(), FLAGS, "dev");
    expect([get("port"), get("host")]).toEqual([8787, "lo"]);
    expect(flagGetter(new Map(), FLAGS, "edge")("host")).toBe("any");
    expect(() => get("pod-id")).toThrow("internal: --pod-id has no default");
  });
});
