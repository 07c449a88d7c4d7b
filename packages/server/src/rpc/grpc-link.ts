// The edge↔pod link of split mode: the same EdgeLink the in-process link gives
// (link/edge-link.ts), over gRPC streams to the pods of `--pods`, with rooms
// placed by rendezvous hashing (pod-router.ts). The edge cannot tell the two apart.
import type { Logger } from "pino";
import { createEdgeLink, type EdgeLink } from "../link/edge-link.js";
import { createPodRouter, type PodRouter, type PodRouterOptions } from "./pod-router.js";

export interface GrpcEdgeLink extends EdgeLink {
  readonly router: PodRouter;
}

export interface GrpcEdgeLinkOptions {
  /** host:port of every pod. */
  readonly pods: readonly string[];
  readonly edgeId: string;
  readonly logger?: Logger;
  readonly connect?: PodRouterOptions["connect"];
  /** Timers of the pod connections; default the system clock. */
  readonly clock?: PodRouterOptions["clock"];
}

export function createGrpcEdgeLink(options: GrpcEdgeLinkOptions): GrpcEdgeLink {
  const router = createPodRouter(options);
  const link = createEdgeLink((onFrame, onReset) => router.connect(onFrame, onReset));
  return Object.assign(link, { router });
}
