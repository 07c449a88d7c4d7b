// The CommonJS builds of protocol, client and react (exports map "require" → dist/cjs): each
// package's tsconfig.cjs.json compiled by tsc, then a dist/cjs/package.json {"type":"commonjs"}
// so Node and TypeScript read those .js and .d.ts files as CommonJS although the package is
// "type": "module". Run by `npm run build` after the ESM build (tsc -b).
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc");
/** In dependency order: client's .d.ts build reads protocol's. */
export const CJS_PACKAGES = ["protocol", "client", "react"];

for (const name of CJS_PACKAGES) {
  const dir = join(ROOT, "packages", name);
  const out = join(dir, "dist/cjs");
  rmSync(out, { recursive: true, force: true }); // no stale files from renamed modules
  execFileSync(process.execPath, [TSC, "-p", join(dir, "tsconfig.cjs.json")], { stdio: "inherit" });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "package.json"), `${JSON.stringify({ type: "commonjs" }, null, 2)}\n`);
}
