// An edge process of split mode (`collabblocks edge`, docs/OPERATIONS.md#running-modes): the WebSocket
// gateway of dev/serve (edge/), but its link goes over gRPC to the pods of
// `--pods` (grpc-link.ts) instead of to a pod in the same process. HTTP on
// `--port` carries the WebSockets, /healthz, /readyz and, without an admin port
// (docs/OPERATIONS.md#admin-port), /metrics. /readyz is 200
// only while at least one pod's stream is up: with none, joins would wait.
import { msgpackrBackend, useMsgpack } from "@collabblocks/protocol";
import type { Logger } from "pino";
import { createEdgeServer, type EdgeServer, type EdgeServerOptions } from "../edge/edge-server.js";
import type { Clock } from "../ops/clock.js";
import { createSilentLogger } from "../ops/logger.js";
import { defaultPodId } from "../ops/process-id.js";
import { createGrpcEdgeLink, type GrpcEdgeLink } from "../rpc/grpc-link.js";
import { routeGrpcLogs } from "../rpc/proto.js";

/** The edge's options (port, host, tick, caps, heartbeat, rollout gate, shadow…) and where the pods are. */
export interface EdgeRoleOptions extends EdgeServerOptions {
  readonly jwksUrl: string;
  /** host:port of every pod's gRPC server (`--pods`). */
  readonly pods: readonly string[];
  /** This edge's id, shown to pods (default host-pid-start time). */
  readonly edgeId?: string;
  readonly logger?: Logger;
  /** Timers of the pod links' reconnects (CONTRIBUTING.md "Time"); default the system clock. */
  readonly clock?: Clock;
}

export interface EdgeRole extends EdgeServer {
  readonly edgeId: string;
  readonly link: GrpcEdgeLink;
  /** SERVER_SHUTTING_DOWN + 1012 to every socket, then closes the pod streams. */
  close(): Promise<void>;
}

export async function createEdgeRole(options: EdgeRoleOptions): Promise<EdgeRole> {
  useMsgpack(msgpackrBackend); // the faster MsgPack on the hot path (protocol msgpack.ts)
  const logger = options.logger ?? createSilentLogger();
  routeGrpcLogs(logger);
  const edgeId = options.edgeId ?? defaultPodId();
  const link = createGrpcEdgeLink({ pods: options.pods, edgeId, logger, clock: options.clock });
  const front = await createEdgeServer(options, {
    link,
    keys: { jwksUrl: options.jwksUrl },
    logger,
    sources: {
      backlog: () => link.router.backlog(),
      evictions: () => 0, // the LRU of rooms is the pods'
    },
    onListenError: () => link.close(),
  });
  return { ...front, edgeId, link };
}
