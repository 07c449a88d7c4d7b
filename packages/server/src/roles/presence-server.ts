// createPresenceServer: one process running edge + pod (dev and single modes of
// docs/OPERATIONS.md#running-modes), usable in-process by tests and benchmarks. The edge talks to the pod
// through the in-process link; the pod shares rooms through an optional bus
// (several servers on one memory bus hub form a cluster inside one process).
import { msgpackrBackend, useMsgpack } from "@collabblocks/protocol";
import type { Logger } from "pino";
import type { PresenceBus } from "../bus/bus.js";
import { createSimulator, type Simulator } from "../dev/simulator.js";
import { createDevIssuer, type DevIssuer } from "../edge/dev-issuer.js";
import { createEdgeServer, type EdgeServer, type EdgeServerOptions } from "../edge/edge-server.js";
import { createInProcessLink } from "../link/in-process.js";
import { type Clock, systemClock } from "../ops/clock.js";
import { createSilentLogger } from "../ops/logger.js";
import { defaultPodId } from "../ops/process-id.js";
import { createPod, type Pod } from "../pod/pod.js";

/** The edge's options (port, host, tick, caps, heartbeat, rollout gate, shadow…) and the pod's. */
export interface PresenceServerOptions extends EdgeServerOptions {
  /**
   * Token keys: `{ jwksUrl }` (serve) or `"dev"`: an ephemeral ES256 key, its JWKS at
   * `/.well-known/jwks.json` and `POST /v1/dev/token`.
   */
  readonly auth: { readonly jwksUrl: string } | "dev";
  readonly maxRooms?: number;
  /** Directory served at `/`. */
  readonly staticDir?: string;
  /** Dev: origins besides loopback ones allowed to call the dev endpoints (`--dev-allow-origin`). */
  readonly devAllowOrigins?: readonly string[];
  /** Serve the placeholder page at `/` when there is no static dir (dev). */
  readonly placeholderPage?: boolean;
  readonly logger?: Logger;
  /** Shares rooms with other servers (scaled mode); default: none. */
  readonly bus?: PresenceBus;
  /** Pod id (default: host-pid-start time, unique per process). */
  readonly podId?: string;
  /** Time of the pod and the dev simulator (CONTRIBUTING.md "Time"); default the system clock. */
  readonly clock?: Clock;
}

export interface PresenceServer extends EdgeServer {
  readonly podId: string;
  /** Present in dev auth mode. */
  readonly devIssuer: DevIssuer | undefined;
  readonly pod: Pod;
  /** Graceful stop: SERVER_SHUTTING_DOWN + 1012 to every socket, then closes everything. */
  close(): Promise<void>;
}

export async function createPresenceServer(options: PresenceServerOptions): Promise<PresenceServer> {
  useMsgpack(msgpackrBackend); // the faster MsgPack on the hot path (protocol msgpack.ts)
  const logger = options.logger ?? createSilentLogger();
  const podId = options.podId ?? defaultPodId();
  const devIssuer = options.auth === "dev" ? await createDevIssuer() : undefined;
  const clock = options.clock ?? systemClock;
  const pod = createPod({
    podId,
    maxRooms: options.maxRooms,
    bus: options.bus,
    clock,
    onError: (err, context) => logger.error({ err, context }, "pod error"),
  });
  let wsUrl = "";
  const simulator: Simulator | undefined = devIssuer
    ? createSimulator({ issuer: devIssuer, wsUrl: () => wsUrl, clock })
    : undefined;
  // If the edge cannot start (port taken, bad static dir), close the pod we made:
  // its timers would otherwise keep a library caller's process alive.
  const front = await createEdgeServer(options, {
    link: createInProcessLink(pod, `${podId}/edge`),
    keys: devIssuer
      ? { getKey: devIssuer.getKey }
      : { jwksUrl: (options.auth as { jwksUrl: string }).jwksUrl },
    logger,
    sources: {
      rooms: () => pod.manager.size,
      evictions: () => pod.manager.evictions,
      redisLag: () => options.bus?.lag?.() ?? 0,
    },
    http: {
      devIssuer,
      simulator,
      devAllowOrigins: options.devAllowOrigins,
      staticDir: options.staticDir,
      placeholder: options.placeholderPage,
    },
  }).catch(async (err: unknown) => {
    await pod.close();
    throw err;
  });

  wsUrl = front.wsUrl;
  let closed: Promise<void> | undefined;
  return {
    ...front,
    podId,
    devIssuer,
    pod,
    close() {
      closed ??= (async () => {
        simulator?.close();
        await front.close();
        await pod.close();
      })();
      return closed;
    },
  };
}
