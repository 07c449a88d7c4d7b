// The edge's view of its pod: attach / write / syncRequest / detach (docs/ARCHITECTURE.md#data-flow-split-mode).
// Built on frames (frames.ts) so the in-process and gRPC links share this code;
// only the transport differs. Everything the pod says may arrive later than the
// call that caused it: callers await syncRequest and get updates via a listener.
import type { BatchEntry, PeerState, RelayedMessage } from "@collabblocks/protocol";
import { assertNever } from "@collabblocks/protocol";
import type { EdgeFrame, PodFrame } from "./frames.js";

export interface RoomListener {
  /** Entries from elsewhere (other edges, other pods), in the pod's order. */
  onEntries(entries: readonly BatchEntry[]): void;
  /** A broadcast event from a connection elsewhere (PROTOCOL.md §9). */
  onEvent?(event: RelayedMessage): void;
  /**
   * The link lost its pod and re-attached (to the same or another pod): state may
   * have been lost there. The edge should resync the room and re-assert its own
   * connections. Not called by the in-process link.
   */
  onReset?(): void;
}

export interface EdgeLink {
  attach(roomId: string, listener: RoomListener): void;
  /** Forwards entries of the edge's own connections. Never blocks; may buffer. */
  write(roomId: string, entries: readonly BatchEntry[]): void;
  /** Relays a broadcast event of one of the edge's connections (fire-and-forget, PROTOCOL.md §9). */
  event(roomId: string, event: RelayedMessage): void;
  /** The room's full state as the pod knows it. */
  syncRequest(roomId: string): Promise<PeerState[]>;
  detach(roomId: string): void;
  /** True when the link can currently reach a pod (drives /readyz). */
  readonly ready: boolean;
  close(): void;
}

/** A frame transport to one pod: what differs between in-process and gRPC. */
export interface LinkTransport {
  send(frame: EdgeFrame): void;
  readonly ready: boolean;
  close(): void;
}

interface PendingSync {
  readonly roomId: string;
  readonly entries: PeerState[];
  readonly resolve: (entries: PeerState[]) => void;
}

/**
 * Creates the edge-side link over a transport. `connect` is given the function
 * that handles pod frames and the one a transport calls after it re-attached a
 * room to another pod (split mode: rpc/pod-router.ts), and returns the transport.
 */
export function createEdgeLink(
  connect: (onFrame: (frame: PodFrame) => void, onReset: (roomId: string) => void) => LinkTransport,
): EdgeLink {
  const listeners = new Map<string, RoomListener>();
  const syncs = new Map<number, PendingSync>();
  let nextSyncId = 1;

  const onFrame = (frame: PodFrame): void => {
    switch (frame.type) {
      case "update":
        listeners.get(frame.roomId)?.onEntries(frame.entries);
        return;
      case "event":
        listeners.get(frame.roomId)?.onEvent?.(frame.event);
        return;
      case "snapshot-chunk": {
        const pending = syncs.get(frame.syncId);
        if (pending) for (const e of frame.entries) pending.entries.push(e);
        return;
      }
      case "snapshot-done": {
        const pending = syncs.get(frame.syncId);
        if (pending) {
          syncs.delete(frame.syncId);
          pending.resolve(pending.entries);
        }
        return;
      }
      default:
        assertNever(frame);
    }
  };
  /**
   * The room now lives on another pod: the listener re-asserts and resyncs, and
   * sync requests still unanswered are asked again there (chunks the old pod sent
   * are discarded; the transport delivers nothing more from it for this room).
   */
  const onReset = (roomId: string): void => {
    const unanswered = [...syncs].filter(([, pending]) => pending.roomId === roomId);
    listeners.get(roomId)?.onReset?.();
    for (const [syncId, pending] of unanswered) {
      pending.entries.length = 0;
      transport.send({ type: "sync-request", roomId, syncId });
    }
  };
  const transport = connect(onFrame, onReset);

  return {
    attach(roomId, listener) {
      listeners.set(roomId, listener);
      transport.send({ type: "attach", roomId });
    },
    write(roomId, entries) {
      if (entries.length > 0) transport.send({ type: "write", roomId, entries });
    },
    event(roomId, event) {
      transport.send({ type: "event", roomId, event });
    },
    syncRequest(roomId) {
      const syncId = nextSyncId++;
      return new Promise<PeerState[]>((resolve) => {
        syncs.set(syncId, { roomId, entries: [], resolve });
        transport.send({ type: "sync-request", roomId, syncId });
      });
    },
    detach(roomId) {
      listeners.delete(roomId);
      transport.send({ type: "detach", roomId });
    },
    get ready() {
      return transport.ready;
    },
    close() {
      transport.close();
      for (const pending of syncs.values()) pending.resolve(pending.entries);
      syncs.clear();
    },
  };
}
