// The publishable packages as `npm pack` makes them (README.md#use-it-in-your-app): what the
// tarballs hold, their manifests, publint and @arethetypeswrong/cli on each tarball, and the
// gzipped size of what an app imports from the client and React packages (.size-limit.json).
// Needs `npm run build` (the tarballs take dist/ as built).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DUAL_FORMAT,
  type PackedPackage,
  PUBLISHED,
  type PublishedName,
  packPackages,
  ROOT,
} from "../test-support/pack-packages.js";

const run = promisify(execFile);
const ATTW = join(ROOT, "node_modules/@arethetypeswrong/cli/dist/index.js");
const SIZE_LIMIT = join(ROOT, "node_modules/size-limit/bin.js");

/**
 * Besides these, a tarball may hold only files under dist/ and src/ (and the server's bin/, proto/),
 * and a subpath's package.json stub: `@collabblocks/react/ui` and `@collabblocks/client/e2ee` for
 * TypeScript's and Node's node10 resolution, which reads no exports map
 * (packages/react/README.md#ready-made-ui, docs/E2EE.md#using-it).
 */
const TOP_LEVEL_FILES = ["LICENSE", "README.md", "package.json"];
const SUBPATH_STUBS: Partial<Record<PublishedName, readonly string[]>> = {
  react: ["ui/package.json"],
  client: ["e2ee/package.json"],
};
const FORBIDDEN = /\.test\.tsx?$|\.test\.(js|d\.ts)|test-support|tsbuildinfo|test-arbitraries/;

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly license?: string;
  readonly engines?: Readonly<Record<string, string>>;
  readonly repository?: { readonly url?: string; readonly directory?: string };
  readonly sideEffects?: boolean;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
}

const manifest = (path: string): Manifest => JSON.parse(readFileSync(path, "utf8")) as Manifest;
const pkgManifest = (name: PublishedName): Manifest => manifest(join(ROOT, "packages", name, "package.json"));

let dest = "";
let packed: Record<PublishedName, PackedPackage>;

beforeAll(async () => {
  dest = mkdtempSync(join(tmpdir(), "collabblocks-pack-"));
  const started = performance.now();
  packed = await packPackages(dest);
  const summary = PUBLISHED.map((n) => {
    const p = packed[n];
    return `${p.name}: ${p.files.length} files, ${(p.size / 1024).toFixed(1)} KiB packed, ${(p.unpackedSize / 1024).toFixed(1)} KiB unpacked`;
  });
  console.log(`npm pack took ${Math.round(performance.now() - started)} ms\n${summary.join("\n")}`);
});

afterAll(() => {
  if (dest !== "") rmSync(dest, { recursive: true, force: true });
});

describe("the packed tarballs", () => {
  it.each(PUBLISHED)("of %s hold only built code, types, sources, README and LICENSE", (name) => {
    const { files } = packed[name];
    const allowedDirs = name === "server" ? ["dist/", "src/", "bin/", "proto/"] : ["dist/", "src/"];
    const stray = files.filter(
      (f) =>
        !TOP_LEVEL_FILES.includes(f) &&
        !(SUBPATH_STUBS[name] ?? []).includes(f) &&
        !allowedDirs.some((d) => f.startsWith(d)),
    );
    expect(stray).toEqual([]);
    expect(files.filter((f) => FORBIDDEN.test(f))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining([...TOP_LEVEL_FILES, "dist/index.js", "dist/index.d.ts"]));
    if (DUAL_FORMAT.includes(name)) {
      expect(files).toEqual(
        expect.arrayContaining(["dist/cjs/index.js", "dist/cjs/index.d.ts", "dist/cjs/package.json"]),
      );
    }
  });

  it("carry the full Apache-2.0 text as LICENSE, the same at the root and in each package", () => {
    const license = readFileSync(join(ROOT, "LICENSE"), "utf8");
    expect(license).toContain("Apache License\n                           Version 2.0, January 2004");
    expect(license).toContain("END OF TERMS AND CONDITIONS");
    expect(license).toContain("APPENDIX: How to apply the Apache License to your work.");
    expect(manifest(join(ROOT, "package.json")).license).toBe("Apache-2.0");
    for (const name of PUBLISHED) {
      expect(readFileSync(join(ROOT, "packages", name, "LICENSE"), "utf8")).toBe(license);
      expect(pkgManifest(name).license).toBe("Apache-2.0");
    }
  });
});

describe("the manifests", () => {
  it.each(PUBLISHED)("of %s declare engines, repository and registry ranges for siblings", (name) => {
    const pkg = pkgManifest(name);
    expect(pkg.engines).toEqual({ node: ">=20" });
    expect(pkg.repository?.url).toMatch(/^git\+https:\/\/.+\.git$/);
    expect(pkg.repository?.directory).toBe(`packages/${name}`);
    for (const [dep, range] of Object.entries(pkg.dependencies ?? {})) {
      if (!dep.startsWith("@collabblocks/")) continue;
      const sibling = pkgManifest(dep.slice("@collabblocks/".length) as PublishedName);
      expect(range, `${name} → ${dep}`).toBe(`^${sibling.version}`);
    }
  });

  it("mark the browser packages free of side effects and make react and react-dom peers", () => {
    for (const name of DUAL_FORMAT) expect(pkgManifest(name).sideEffects).toBe(false);
    const react = pkgManifest("react");
    expect(Object.keys(react.peerDependencies ?? {}).sort()).toEqual(["react", "react-dom"]);
    expect(Object.keys(react.dependencies ?? {})).not.toContain("react");
  });

  it("keep the react main entry free of the ready-made UI, so apps that skip it do not load it", () => {
    const dist = join(ROOT, "packages/react/dist");
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const [, spec] of readFileSync(file, "utf8").matchAll(/from "(\.[^"]+)"/g)) {
        visit(join(dirname(file), spec!));
      }
    };
    visit(join(dist, "index.js"));
    expect([...seen].filter((f) => f.startsWith(join(dist, "ui")))).toEqual([]);
    expect(seen.size).toBeGreaterThan(1); // the walk followed the entry's imports
  });
});

describe("publint", () => {
  it.each(PUBLISHED)("finds nothing to report in the %s tarball", async (name) => {
    const tarball = readFileSync(packed[name].tarball);
    const { messages, pkg } = await publint({
      pack: { tarball: tarball.buffer.slice(tarball.byteOffset, tarball.byteOffset + tarball.byteLength) },
      strict: true,
    });
    const report = messages.map((m) => `${m.type}: ${formatMessage(m, pkg) ?? m.code}`);
    console.log(`publint ${name}: ${report.length === 0 ? "all good" : report.join("\n")}`);
    expect(report).toEqual([]);
  });
});

describe("are the types wrong", () => {
  // The server is ESM-only on purpose (a CLI and Node library on Node ≥ 20): its profile
  // skips the CommonJS resolutions; the other three are checked under every resolution.
  it.each(PUBLISHED)("finds no problem in the %s tarball", async (name) => {
    const profile = name === "server" ? ["--profile", "esm-only"] : [];
    const result = await run(
      process.execPath,
      [ATTW, packed[name].tarball, "--format", "table-flipped", "--no-color", ...profile],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" } },
    ).catch((err: { stdout?: string; stderr?: string; code?: number }) => err);
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
    console.log(`attw ${name}:\n${output}`);
    expect("code" in result ? result.code : 0, output).toBe(0);
    // The server's only finding is the ignored CJS resolution; anything else is a problem.
    if (name === "server") expect(output).toMatch(/ignoring resolutions: 'node10', 'node16-cjs'/);
    else expect(output).toContain("No problems found");
    // Findings under resolutions the profile ignores (node10 has no subpath exports, so
    // `@collabblocks/server/token` fails there) are attw's notes, not problems.
    const counted = output
      .split("\n")
      .filter((line) => !line.startsWith("(ignored per resolution)"))
      .join("\n")
      .replace(/\(ignored\)[^│]*/g, "");
    expect(counted).not.toMatch(/❌|💀|🐛|❗️|🥴|🎭|No types|Masquerades|Internal resolution error/);
  });
});

describe("size-limit", () => {
  it("keeps what an app imports from client and react within .size-limit.json's limit", async () => {
    const result = await run(process.execPath, [SIZE_LIMIT, "--json"], { cwd: ROOT }).catch(
      (err: { stdout?: string; stderr?: string }) => err,
    );
    const checks = JSON.parse(result.stdout ?? "[]") as { name: string; size: number; passed: boolean }[];
    for (const c of checks) console.log(`size-limit: ${c.name}: ${c.size} B gzipped (passed: ${c.passed})`);
    expect(checks.length, result.stderr ?? "").toBeGreaterThan(0);
    expect(checks.filter((c) => !c.passed)).toEqual([]);
  });
});
