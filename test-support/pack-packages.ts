// `npm pack` of the four publishable packages into a folder, as a user would get them
// from the registry (README.md#use-it-in-your-app): the packaging checks
// (checks/packages.test.ts) lint those tarballs, and the "your app" test
// (test-e2e/your-app) installs them into a fresh Vite app. Packs what is built: run
// `npm run build` first (the tarballs take dist/ as it is).
// Test-only plain TypeScript: no package builds it; tsconfig.check.json checks it.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** The packages that go to the registry, in dependency order. */
export const PUBLISHED = ["protocol", "client", "react", "server"] as const;
export type PublishedName = (typeof PUBLISHED)[number];
/** Those with a CommonJS build too (dist/cjs, scripts/build-cjs.mjs). */
export const DUAL_FORMAT: readonly PublishedName[] = ["protocol", "client", "react"];

export interface PackedPackage {
  /** e.g. @collabblocks/client */
  readonly name: string;
  /** Absolute path of the .tgz. */
  readonly tarball: string;
  /** Bytes of the .tgz. */
  readonly size: number;
  readonly unpackedSize: number;
  /** Paths inside the package, e.g. "dist/index.js". */
  readonly files: readonly string[];
}

interface NpmPackEntry {
  readonly name: string;
  readonly filename: string;
  readonly size: number;
  readonly unpackedSize: number;
  readonly files: readonly { readonly path: string }[];
}

/** Throws, saying how to fix it, when a package's build output is missing. */
export function requireBuiltPackages(): void {
  for (const name of PUBLISHED) {
    const entry = join(ROOT, "packages", name, "dist/index.js");
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  }
  for (const name of DUAL_FORMAT) {
    const entry = join(ROOT, "packages", name, "dist/cjs/index.js");
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  }
}

/** Packs every published package into `dest` (without lifecycle scripts: dist is taken as built). */
export async function packPackages(dest: string): Promise<Record<PublishedName, PackedPackage>> {
  requireBuiltPackages();
  const workspaces = PUBLISHED.flatMap((name) => ["-w", `packages/${name}`]);
  const { stdout } = await run(
    "npm",
    ["pack", ...workspaces, "--json", "--ignore-scripts", "--pack-destination", dest],
    { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
  );
  const entries = JSON.parse(stdout) as NpmPackEntry[];
  const packed = {} as Record<PublishedName, PackedPackage>;
  for (const name of PUBLISHED) {
    const entry = entries.find((e) => e.name === `@collabblocks/${name}`);
    if (entry === undefined) throw new Error(`npm pack printed no entry for @collabblocks/${name}`);
    packed[name] = {
      name: entry.name,
      tarball: join(dest, entry.filename),
      size: entry.size,
      unpackedSize: entry.unpackedSize,
      files: entry.files.map((f) => f.path).sort(),
    };
  }
  return packed;
}
