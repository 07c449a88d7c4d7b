// Bundles the Worker into one ES module (dist/worker.js) for miniflare and
// workerd; `wrangler deploy` / `wrangler dev` bundle from src/ themselves. The
// "source" condition reads the workspace packages' TypeScript (as the tests do),
// and "workerd"/"worker"/"browser" pick jose's and msgpackr's web builds.
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export const WORKER_BUNDLE = fileURLToPath(new URL("../dist/worker.js", import.meta.url));

/** @param {string} outfile where to write it (tests running side by side each take their own). */
export async function bundleWorker(outfile = WORKER_BUNDLE) {
  await build({
    entryPoints: [fileURLToPath(new URL("../src/index.ts", import.meta.url))],
    outfile,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["source", "workerd", "worker", "browser", "import"],
    mainFields: ["module", "main"],
    external: ["node:*"],
    logLevel: "warning",
  });
  return outfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundleWorker();
