// A real `collabblocks dev` process for the browser tests, from the built CLI,
// serving the built demo. Fails with a clear message when either build is missing.
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type CliProcess, requireBuiltCli, startCliProcess } from "../../../../test-support/cli-process.js";

export const DEMO_DIST = resolve(dirname(fileURLToPath(import.meta.url)), "../../dist");

/** `url`, `child`, `output()` for failure messages, and `stop()` (SIGTERM, SIGKILL if it hangs). */
export type DevServer = CliProcess;

export async function startDevServer(): Promise<DevServer> {
  requireBuiltCli();
  const index = resolve(DEMO_DIST, "index.html");
  if (!existsSync(index)) throw new Error(`${index} is missing: run \`npm run build\` to build the demo`);
  return startCliProcess(["dev", "--port", "0", "--static-dir", DEMO_DIST]);
}
