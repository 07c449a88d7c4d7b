// Runs the Worker in workerd through miniflare, outside wrangler, for the bench's
// `do-edge` target (docs/EDGE-WORKERS.md#testing-locally): the same bundle the tests
// load. Prints the listening line every CollabBlocks process prints
// (docs/OPERATIONS.md#running-modes) and stops on SIGTERM.
//   node serve-local.mjs --port P --jwks-url URL --pod-url URL   (LINK_SECRET from the environment)
import { parseArgs } from "node:util";
import { Miniflare } from "miniflare";
import { bundleWorker } from "./bundle.mjs";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    "jwks-url": { type: "string" },
    "pod-url": { type: "string" },
  },
});
const secret = process.env.LINK_SECRET;
if (!values.port || !values["jwks-url"] || !values["pod-url"] || !secret) {
  console.error("usage: LINK_SECRET=… node serve-local.mjs --port P --jwks-url URL --pod-url URL");
  process.exit(2);
}
const mf = new Miniflare({
  modules: true,
  scriptPath: await bundleWorker(),
  compatibilityDate: "2025-09-01",
  compatibilityFlags: ["nodejs_compat"],
  durableObjects: { ROOMS: "PresenceRoom" },
  bindings: { JWKS_URL: values["jwks-url"], POD_URL: values["pod-url"], LINK_SECRET: secret },
  host: "127.0.0.1",
  port: Number(values.port),
});
const url = await mf.ready;
process.stdout.write(`${JSON.stringify({ event: "listening", role: "do-edge", url: url.origin })}\n`);
process.once("SIGTERM", () => {
  mf.dispose().finally(() => process.exit(0));
});
