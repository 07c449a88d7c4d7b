import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readDenyList, readStartFiles } from "./start-inputs.js";

const dir = mkdtempSync(join(tmpdir(), "cb-start-inputs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `fail` as main.ts gives it, but throwing so the test sees the line. */
const fail = (message: string): never => {
  throw new Error(`fail: ${message}`);
};

describe("readDenyList", () => {
  it("reads an inline list or an @file of CIDRs", () => {
    expect(readDenyList(undefined)).toEqual([]);
    expect(readDenyList("10.0.0.0/8, 192.168.1.1")).toEqual(["10.0.0.0/8", "192.168.1.1"]);
    const file = join(dir, "deny.txt");
    writeFileSync(file, "# bad actors\n203.0.113.0/24\n");
    expect(readDenyList(`@${file}`)).toEqual(["203.0.113.0/24"]);
  });

  it("throws naming the bad entry", () => {
    expect(() => readDenyList("10.0.0.0/99")).toThrow(/10\.0\.0\.0\/99/);
  });
});

describe("readStartFiles", () => {
  it("fails with one line for a bad deny list or a static dir that is not a directory", () => {
    expect(() => readStartFiles({ command: "serve", denyIps: "nope", staticDir: undefined }, fail)).toThrow(
      /^fail: --deny-ips: /,
    );
    expect(() =>
      readStartFiles({ command: "serve", denyIps: undefined, staticDir: join(dir, "none") }, fail),
    ).toThrow(`fail: --static-dir ${join(dir, "none")} is not a directory`);
  });

  it("serves a given static dir, and none by default outside dev", () => {
    expect(readStartFiles({ command: "serve", denyIps: "10.0.0.1", staticDir: dir }, fail)).toEqual({
      denyIps: ["10.0.0.1"],
      staticDir: dir,
    });
    expect(
      readStartFiles({ command: "serve", denyIps: undefined, staticDir: undefined }, fail).staticDir,
    ).toBe(undefined);
  });
});
