// `collabblocks` CLI entry (bin/collabblocks.js imports the built copy of this).
// Exit codes: 0 after a clean shutdown, 2 for bad configuration (one line on
// stderr), 1 for unexpected failures.
import { createLogger } from "../ops/logger.js";
import { defaultPodId } from "../ops/process-id.js";
import { type CliConfig, HELP, parseCli } from "./flags.js";
import { runKeys } from "./keys-cli.js";
import { prepareRollout, type Rollout } from "./rollout.js";
import { exitOnStopSignals, reloadOnHangup } from "./signals.js";
import type { RunningRole } from "./split-cli.js";
import { connectBus, readStartFiles } from "./start-inputs.js";
import { announce, startRole } from "./start-role.js";

function fail(message: string): never {
  process.stderr.write(`collabblocks: ${message}\n`);
  process.exit(2);
}

async function run(config: CliConfig): Promise<void> {
  const { denyIps, staticDir } = readStartFiles(config, fail);
  const logger = createLogger(config.logLevel as Parameters<typeof createLogger>[0]);
  const podId = config.podId ?? defaultPodId();
  let rollout: Rollout;
  try {
    rollout = prepareRollout(config, logger);
  } catch (err) {
    fail((err as Error).message);
  }
  const bus = await connectBus(config, podId, logger);
  let server: RunningRole | undefined;
  exitOnStopSignals(logger, () => server);
  server = await startRole(config, { logger, podId, bus, denyIps, staticDir, rollout, fail });
  announce(config, server, logger);
  rollout.start(server.edge);
  reloadOnHangup(config.denyIps, rollout, server, logger);
}

const crash = (err: unknown): never => {
  process.stderr.write(`collabblocks: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
};
if (process.argv[2] === "keys") {
  // A one-shot tool, not a server: its own flags (cli/keys-cli.ts).
  runKeys(process.argv.slice(3)).then((code) => process.exit(code), crash);
} else {
  const parsed = parseCli(process.argv.slice(2), process.env);
  if (parsed.kind === "help") process.stdout.write(HELP);
  else if (parsed.kind === "error") fail(parsed.message);
  else run(parsed.config).catch(crash);
}
