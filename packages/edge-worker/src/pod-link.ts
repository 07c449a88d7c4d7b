// The object's side of the pod link (docs/EDGE-WORKERS.md#the-pod-link): it asks
// the pod to connect back (POST to the pod's dial endpoint), takes the pod's
// socket with the Hibernation API (so it survives the object's sleep), and turns
// link frames into the edge-link calls of the Node edge: attach, write,
// sync-request, detach out; update, snapshot chunks and done in. The pod side is
// packages/server/src/link/worker-link.ts.
import type { BatchEntry, PeerState, RelayedMessage } from "@collabblocks/protocol";
import {
  DIAL_PATH_PREFIX,
  decodePodFrame,
  type EdgeFrame,
  encodeEdgeFrame,
  rankPods,
} from "@collabblocks/server/portable";
import { type Env, POD_LINK_TIMEOUT_MS, podUrlsOf } from "./config.js";
import type { DurableObjectState, WorkerSocket } from "./workers-types.js";

/** Tag of the pod's socket among the object's hibernatable sockets. */
export const POD_TAG = "pod";

export interface PodLinkListener {
  /** Entries from other edges and pods. */
  onEntries(entries: readonly BatchEntry[]): void;
  /** EVENT or PEER_LOST from a connection elsewhere (PROTOCOL.md §9). */
  onEvent(event: RelayedMessage): void;
}

interface PendingSync {
  readonly entries: PeerState[];
  readonly resolve: (entries: PeerState[]) => void;
  readonly reject: (err: Error) => void;
}

export class PodLink {
  readonly #state: DurableObjectState;
  readonly #env: Env;
  readonly #listener: PodLinkListener;
  readonly #syncs = new Map<number, PendingSync>();
  // Random start: a reply to a request of an earlier life of the object is never taken for a new one.
  #nextSyncId = 1 + Math.floor(Math.random() * 2 ** 30);
  #arrival: { resolve: (ws: WorkerSocket) => void } | undefined;
  #dialling: Promise<WorkerSocket> | undefined;

  constructor(state: DurableObjectState, env: Env, listener: PodLinkListener) {
    this.#state = state;
    this.#env = env;
    this.#listener = listener;
  }

  /** The pod's socket, if one is connected (it survives hibernation). */
  get socket(): WorkerSocket | undefined {
    return this.#state.getWebSockets(POD_TAG)[0];
  }

  /** The pod's socket, asking the pod to connect when there is none. Rejects after POD_LINK_TIMEOUT_MS. */
  connect(roomId: string): Promise<WorkerSocket> {
    const ws = this.socket;
    if (ws) return Promise.resolve(ws);
    this.#dialling ??= this.#dial(roomId).finally(() => {
      this.#dialling = undefined;
    });
    return this.#dialling;
  }

  /**
   * Asks the room's pods in rendezvous order to connect back, the owner first; a pod
   * that cannot be reached, refuses or does not connect back in time hands the room
   * to the next (docs/EDGE-WORKERS.md#the-pod-link).
   */
  async #dial(roomId: string): Promise<WorkerSocket> {
    const failures: string[] = [];
    for (const pod of rankPods(podUrlsOf(this.#env), roomId)) {
      try {
        const ws = await this.#dialOne(pod, roomId);
        this.send({ type: "attach", roomId });
        return ws;
      } catch (err) {
        failures.push(`${pod}: ${(err as Error).message}`);
      }
    }
    throw new Error(`no pod connected back (${failures.join("; ")})`);
  }

  async #dialOne(pod: string, roomId: string): Promise<WorkerSocket> {
    // The timer is cleared on arrival or failure: a pending timer counts as activity
    // and would postpone the object's hibernation by its whole length.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arrived = new Promise<WorkerSocket>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error("did not connect back in time")), POD_LINK_TIMEOUT_MS);
      this.#arrival = { resolve };
    });
    // Awaited only once the pod accepted the dial: a timeout before then is not unhandled.
    arrived.catch(() => {});
    try {
      const res = await fetch(`${pod}${DIAL_PATH_PREFIX}${encodeURIComponent(roomId)}`, {
        method: "POST",
        headers: { authorization: `Bearer ${this.#env.LINK_SECRET}` },
      });
      // Read to the end: an unread body is open I/O, which keeps the object from hibernating.
      const answer = await res.text();
      if (res.status !== 202) throw new Error(`refused to dial: HTTP ${res.status} ${answer.trim()}`);
      return await arrived;
    } finally {
      clearTimeout(timer);
      this.#arrival = undefined;
    }
  }

  /** The pod connected back: take its socket (hibernatable) and wake whoever waits for it. */
  accept(ws: WorkerSocket): void {
    for (const old of this.#state.getWebSockets(POD_TAG)) old.close(1000, "replaced by a newer pod link");
    this.#state.acceptWebSocket(ws, [POD_TAG]);
    this.#arrival?.resolve(ws);
    this.#arrival = undefined;
  }

  send(frame: EdgeFrame): void {
    this.socket?.send(encodeEdgeFrame(frame));
  }

  /** The room's state as the pod holds it. */
  async sync(roomId: string): Promise<PeerState[]> {
    await this.connect(roomId);
    const syncId = this.#nextSyncId++;
    return new Promise<PeerState[]>((resolve, reject) => {
      this.#syncs.set(syncId, { entries: [], resolve, reject });
      this.send({ type: "sync-request", roomId, syncId });
    });
  }

  /** A message on the pod's socket. Throws ProtocolError for a malformed one. */
  receive(data: ArrayBuffer | string): void {
    if (typeof data === "string") throw new TypeError("text message on the pod link");
    const frame = decodePodFrame(new Uint8Array(data));
    switch (frame.type) {
      case "update":
        this.#listener.onEntries(frame.entries);
        return;
      case "event":
        this.#listener.onEvent(frame.event);
        return;
      case "snapshot-chunk":
        for (const e of frame.entries) this.#syncs.get(frame.syncId)?.entries.push(e);
        return;
      case "snapshot-done": {
        const pending = this.#syncs.get(frame.syncId);
        this.#syncs.delete(frame.syncId);
        pending?.resolve(pending.entries);
        return;
      }
    }
  }

  /** The pod's socket closed: unanswered snapshots fail (their callers resync after re-dialling). */
  lost(): void {
    for (const pending of this.#syncs.values()) pending.reject(new Error("pod link lost"));
    this.#syncs.clear();
  }

  /** The room has no members left: detach and let the pod go. */
  release(roomId: string): void {
    const ws = this.socket;
    if (!ws) return;
    this.send({ type: "detach", roomId });
    ws.close(1000, "room empty");
  }
}
