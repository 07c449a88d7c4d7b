// A real `collabblocks` process for the client's integration tests, run from
// the built CLI (packages/server/dist; CI builds first). The client package never
// imports the server: the server is a separate OS process here, as in production,
// so it can be stopped and started again on the same port.
import { type CliProcess, startCliProcess } from "../../../../test-support/cli-process.js";

export interface ServerProcess extends CliProcess {
  readonly port: number;
}

/**
 * Starts `collabblocks <args> --port <port>` (0 = a free port) on 127.0.0.1 and waits
 * for its listening line. `args` is e.g. `["dev"]` or `["serve", "--jwks-url", url]`.
 */
export async function startServerProcess(args: readonly string[], port = 0): Promise<ServerProcess> {
  const cli = await startCliProcess([...args, "--port", String(port), "--host", "127.0.0.1"]);
  return { ...cli, port: Number(new URL(cli.url).port) };
}
