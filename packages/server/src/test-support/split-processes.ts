// Real `collabblocks pod` / `collabblocks edge` processes for the split-mode
// tests, spawned from the built CLI (packages/server/dist/cli/main.js) so that a
// pod can be kill -9'd. They look like presence-processes.ts's PresenceProcess, so
// its token authority and convergence helpers work with them unchanged.
import { startCliProcess } from "../../../../test-support/cli-process.js";
import { asPresenceProcess, type PresenceProcess } from "./presence-processes.js";

/** Chatty info logs (stream opened/closed) are what the tests read; keep the newest ~100 KB. */
const MAX_OUTPUT_CHARS = 200_000;

export interface RoleProcess extends PresenceProcess {
  /** GET /readyz status. */
  readyz(): Promise<number>;
}

/** Starts `collabblocks <role> --port 0 --admin-port 0 --host 127.0.0.1 …args`; `name` labels its output. */
export async function startRole(
  role: "pod" | "edge",
  name: string,
  args: readonly string[],
): Promise<RoleProcess> {
  const cli = await startCliProcess(
    [role, "--port", "0", "--admin-port", "0", "--host", "127.0.0.1", ...args],
    {
      name,
      logLevel: "info",
      maxOutputChars: MAX_OUTPUT_CHARS,
    },
  );
  return {
    ...asPresenceProcess(cli, name),
    async readyz() {
      return (await fetch(`${cli.url}/readyz`)).status;
    },
  };
}
