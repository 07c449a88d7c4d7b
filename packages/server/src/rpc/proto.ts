// Loads proto/presence.proto at runtime with @grpc/proto-loader (no generated
// code to keep in step). The path is resolved from this module's own URL: both
// src/rpc/proto.ts and dist/rpc/proto.js sit two levels below the package root,
// where proto/ is (package.json "files" ships it).
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import type { Logger } from "pino";

/** The .proto file of the edge↔pod link. */
export const PROTO_PATH = fileURLToPath(new URL("../../proto/presence.proto", import.meta.url));

/** Fully qualified gRPC method path, for logs and tests. */
export const OPEN_STREAM_PATH = "/collabblocks.presence.v1.PresencePod/OpenStream";

/** Metadata key naming the edge on OpenStream (the pod's session id). */
export const EDGE_ID_METADATA = "edge-id";

/** Message shapes as proto-loader hands them over (camelCase, `frame` names the oneof member). */
export interface EdgeFrameMessage {
  readonly frame?: "attach" | "write" | "syncRequest" | "detach" | "event";
  readonly attach?: { readonly room: string };
  readonly write?: { readonly room: string; readonly entries: Uint8Array };
  readonly syncRequest?: { readonly room: string; readonly syncId: number };
  readonly detach?: { readonly room: string };
  readonly event?: { readonly room: string; readonly frame: Uint8Array };
}

export interface PodFrameMessage {
  readonly frame?: "update" | "snapshotChunk" | "snapshotDone" | "event";
  readonly update?: { readonly room: string; readonly entries: Uint8Array };
  readonly snapshotChunk?: { readonly room: string; readonly syncId: number; readonly entries: Uint8Array };
  readonly snapshotDone?: { readonly room: string; readonly syncId: number; readonly total: number };
  readonly event?: { readonly room: string; readonly frame: Uint8Array };
}

export type PresencePodClient = grpc.Client & {
  OpenStream(
    metadata: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientDuplexStream<EdgeFrameMessage, PodFrameMessage>;
};

interface PresencePodDefinition {
  readonly service: grpc.ServiceDefinition;
  new (
    address: string,
    credentials: grpc.ChannelCredentials,
    options?: grpc.ChannelOptions,
  ): PresencePodClient;
}

let loaded: PresencePodDefinition | undefined;

/** The PresencePod service (definition for servers, constructor for clients); loaded once. */
export function presencePodService(): PresencePodDefinition {
  if (loaded) return loaded;
  const definition = loadSync(PROTO_PATH, {
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true, // absent strings/bytes decode as "" / empty, never undefined
    oneofs: true, // `frame` tells which member is set
  });
  const root = grpc.loadPackageDefinition(definition) as unknown as {
    collabblocks: { presence: { v1: { PresencePod: PresencePodDefinition } } };
  };
  loaded = root.collabblocks.presence.v1.PresencePod;
  return loaded;
}

/**
 * Sends grpc-js's own log lines (global to the process; plain console.error by
 * default) to our logger at debug level: what they report (a failed bind, a lost
 * connection) is handled and logged by the rpc code in context, and stderr must
 * stay JSON (and one line for a bad config).
 */
export function routeGrpcLogs(logger: Logger): void {
  const write = (...args: unknown[]): void => logger.debug({ grpc: args.map(String).join(" ") }, "grpc-js");
  grpc.setLogger({ error: write, info: write, debug: write } as unknown as Partial<Console>);
}
