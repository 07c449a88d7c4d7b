// The rollout flags of an edge process (dev, serve, edge; docs/OPERATIONS.md
// "Rollout procedure"): the gates (`--gates-file`, `--allow-plans`,
// `--allow-orgs`) and the shadow mirror (`--shadow-*`). prepareRollout() reads
// everything at start and throws one line for bad config (the CLI exits 2); once
// the server is up, start() watches the gates file, and reload() is SIGHUP's.
// When gates change, live connections they now refuse are closed with
// PLAN_NOT_ENABLED (4003, the SDK does not retry): a rollback takes effect at
// once, not when those users next reconnect.
import type { ErrorCode } from "@collabblocks/protocol";
import type { Logger } from "pino";
import type { Edge } from "../edge/edge.js";
import {
  createGateKeeper,
  describeGates,
  type GateSpec,
  type GateSubject,
  type Gates,
} from "../rollout/gates.js";
import { createGatesWatcher, type GatesWatcher, loadGates } from "../rollout/gates-file.js";
import type { ShadowOptions } from "../rollout/shadow.js";
import { loadShadowKey } from "../rollout/shadow-key.js";
import type { CliConfig } from "./flags.js";

export interface Rollout {
  /** The token verifier's extra gate; undefined when no gate flag is given (nothing to check). */
  readonly authorize: ((subject: GateSubject) => ErrorCode | undefined) | undefined;
  /** Options of the shadow mirror; undefined without `--shadow-to`. */
  readonly shadow: ShadowOptions | undefined;
  /** The server is up: watch the gates file and re-check `edge`'s connections on changes. */
  start(edge: Pick<Edge, "revoke"> | undefined): void;
  /** SIGHUP: re-read the gates file now. */
  reload(): void;
  close(): void;
}

type RolloutConfig = Pick<
  CliConfig,
  | "gatesFile"
  | "allowPlans"
  | "allowOrgs"
  | "shadowTo"
  | "shadowTokenKey"
  | "shadowKid"
  | "shadowRoomPrefix"
  | "shadowMaxConnections"
>;

/** Reads the gates file and the shadow key. Throws Error with a one-line message. */
export function prepareRollout(config: RolloutConfig, logger: Logger): Rollout {
  const flags: GateSpec = {
    ...(config.allowPlans ? { plans: config.allowPlans } : {}),
    ...(config.allowOrgs ? { orgs: config.allowOrgs } : {}),
  };
  const gated =
    config.gatesFile !== undefined || config.allowPlans !== undefined || config.allowOrgs !== undefined;
  const keeper = createGateKeeper(loadGates(config.gatesFile, flags));
  if (gated) logger.info(describeGates(keeper.gates), "rollout gates in force");
  const shadow: ShadowOptions | undefined =
    config.shadowTo === undefined
      ? undefined
      : {
          to: config.shadowTo,
          key: loadShadowKey(config.shadowTokenKey!, config.shadowKid),
          roomPrefix: config.shadowRoomPrefix,
          maxConnections: config.shadowMaxConnections,
        };
  let edge: Pick<Edge, "revoke"> | undefined;
  let watcher: GatesWatcher | undefined;
  let changed = false;

  const apply = (gates: Gates): void => {
    changed = true;
    keeper.set(gates);
    const closed = edge?.revoke(keeper.authorize) ?? 0;
    logger.info({ ...describeGates(gates), closed }, "rollout gates changed");
  };

  return {
    authorize: gated ? keeper.authorize : undefined,
    shadow,
    start(live) {
      edge = live;
      if (!gated) return;
      watcher = createGatesWatcher({
        file: config.gatesFile,
        flags,
        initial: keeper.gates,
        onChange: apply,
        onError: (message) =>
          logger.error({ err: message }, "gates reload failed; keeping the previous gates"),
      });
      watcher.reload(); // a change between start-up and now
    },
    reload() {
      if (!watcher || config.gatesFile === undefined) return;
      changed = false;
      if (watcher.reload() && !changed)
        logger.info(describeGates(keeper.gates), "rollout gates re-read; unchanged");
    },
    close() {
      watcher?.close();
    },
  };
}
