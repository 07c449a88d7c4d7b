// How `collabblocks` answers signals (docs/OPERATIONS.md#shutdown-and-signals):
// SIGTERM/SIGINT close the server gracefully and exit 0, forced after
// SHUTDOWN_DEADLINE_MS; SIGHUP re-reads the rollout gates and the `--deny-ips`
// file, keeping the old list when the new one is bad.
import type { Logger } from "pino";
import { systemClock } from "../ops/clock.js";
import type { Rollout } from "./rollout.js";
import { readDenyList } from "./start-inputs.js";

/** Shutdown must finish within this, ms (docs/OPERATIONS.md#shutdown-and-signals: exit 0 within 5 s). */
const SHUTDOWN_DEADLINE_MS = 4500;

/**
 * Installs SIGTERM and SIGINT. Call it before the ready line is printed: a SIGTERM
 * between the two would otherwise hit Node's default action and kill the process.
 * `server()` is what to close, undefined while still starting (then exit at once).
 */
export function exitOnStopSignals(
  logger: Logger,
  server: () => { close(): Promise<void> } | undefined,
): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const running = server();
    if (!running) process.exit(0);
    systemClock.setTimeout(() => {
      logger.warn("shutdown deadline reached; exiting");
      process.exit(0);
    }, SHUTDOWN_DEADLINE_MS);
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(0);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

/** SIGHUP: the rollout gates, then the deny list if it came from `--deny-ips`. */
export function reloadOnHangup(
  denyIps: string | undefined,
  rollout: Pick<Rollout, "reload">,
  server: { setDenyList(cidrs: readonly string[]): void },
  logger: Logger,
): void {
  process.on("SIGHUP", () => {
    rollout.reload();
    if (denyIps === undefined) return;
    try {
      const list = readDenyList(denyIps);
      server.setDenyList(list);
      logger.info({ entries: list.length }, "deny list reloaded");
    } catch (err) {
      logger.error({ err: (err as Error).message }, "deny list reload failed; keeping the old list");
    }
  });
}
