// The edge↔pod interface as messages (docs/ARCHITECTURE.md#data-flow-split-mode, docs/ARCHITECTURE.md#the-grpc-link-protopresenceproto-rpc). The in-process link passes
// these objects by reference; the gRPC link (split mode) will carry the same
// frames over `PresencePod.OpenStream`, so the edge and pod code never know
// which one they talk through. Every frame names its room: one stream serves
// every room an edge has attached.
import type { BatchEntry, PeerState, RelayedMessage } from "@collabblocks/protocol";

/** Edge → pod. */
export type EdgeFrame =
  /** Start receiving the room's updates from other edges and pods. */
  | { readonly type: "attach"; readonly roomId: string }
  /** Entries of the edge's own connections, already validated and sequenced by the edge. */
  | { readonly type: "write"; readonly roomId: string; readonly entries: readonly BatchEntry[] }
  /** Ask for the room's full state; answered by chunks and a done frame with the same syncId. */
  | { readonly type: "sync-request"; readonly roomId: string; readonly syncId: number }
  /** Stop receiving the room (the edge has no connections in it any more). */
  | { readonly type: "detach"; readonly roomId: string }
  /** EVENT or PEER_LOST of one of the edge's connections (PROTOCOL.md §9): relayed, never stored. */
  | { readonly type: "event"; readonly roomId: string; readonly event: RelayedMessage };

/** Pod → edge. */
export type PodFrame =
  /** Entries from other edges of this pod and from other pods (never the edge's own writes). */
  | { readonly type: "update"; readonly roomId: string; readonly entries: readonly BatchEntry[] }
  /** EVENT or PEER_LOST from another edge or pod (PROTOCOL.md §9). */
  | { readonly type: "event"; readonly roomId: string; readonly event: RelayedMessage }
  /** Part of a snapshot, ≤ 64 KB encoded. */
  | {
      readonly type: "snapshot-chunk";
      readonly roomId: string;
      readonly syncId: number;
      readonly entries: readonly PeerState[];
    }
  | {
      readonly type: "snapshot-done";
      readonly roomId: string;
      readonly syncId: number;
      readonly total: number;
    };

/** The pod's side: one session per connected edge. */
export interface PodEndpoint {
  /**
   * Opens a session for an edge. `send` delivers pod frames to that edge; it may be
   * called synchronously from inside `receive` (in-process) or later (gRPC).
   */
  openSession(edgeId: string, send: (frame: PodFrame) => void): PodSession;
}

export interface PodSession {
  receive(frame: EdgeFrame): void;
  /** The edge is gone: the pod expires the connections it owned and detaches its rooms. */
  close(): void;
}
