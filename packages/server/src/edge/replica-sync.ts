// A room's replica kept in step with its pod (docs/ARCHITECTURE.md#the-edge):
// loaded from the pod's snapshot (entries arriving before it wait), local
// entries applied and written to the link, the pod's entries applied, a gap
// repaired by a resync, and after the link moved the room to another pod, this
// edge's connections re-asserted there. Every change it applies goes to
// `changed` (the room's outbox) so the room fans it out; every identity it sees
// goes to the edge's memory of connections.
import {
  assertNever,
  type BatchEntry,
  type PeerState,
  type PresenceReplica,
  type RelayedMessage,
} from "@collabblocks/protocol";
import type { EdgeLink } from "../link/edge-link.js";
import type { RoomViews } from "../views/room-views.js";
import type { KnownConnections } from "./known-connections.js";
import type { RoomMember } from "./room-member.js";

export interface ReplicaSyncOptions<M extends RoomMember> {
  readonly roomId: string;
  readonly link: EdgeLink;
  readonly replica: PresenceReplica;
  /** The room's local members (they keep the state this edge holds through a resync). */
  readonly members: ReadonlyMap<string, M>;
  /** Told every member of the pod's first snapshot (which is not fanned out). */
  readonly views: RoomViews;
  readonly known: KnownConnections;
  /** A change the replica applied, to fan out. */
  readonly changed: (entry: BatchEntry) => void;
  /** The replica took a snapshot from the pod: anything cached from it is stale. */
  readonly reloaded: () => void;
  /** A remote connection took over the id of a local one (same cid, newer epoch, elsewhere). */
  readonly onReplaced: (member: M) => void;
  /** EVENT or PEER_LOST from a connection elsewhere (PROTOCOL.md §9), for the local members. */
  readonly onEvent?: (roomId: string, event: RelayedMessage) => void;
}

export interface ReplicaSync {
  /** Resolves when the pod's snapshot is loaded. */
  readonly ready: Promise<void>;
  /** Applies, fans out and forwards an entry of a local connection (already validated and sequenced). */
  publish(entry: BatchEntry): void;
  /** Remembers a connection's user and epoch in the edge's memory. */
  remember(connectionId: string, userId: string, epoch: number): void;
  /** Stops listening to the pod. */
  close(): void;
}

interface SyncState<M extends RoomMember> {
  readonly o: ReplicaSyncOptions<M>;
  /** Local members' epochs: their entries are only ever produced here, so a remote enter for one means another socket took it. */
  readonly localEpochs: Map<string, number>;
  loaded: boolean;
  /** The pod's entries that came before its snapshot. */
  early: BatchEntry[];
  resyncing: boolean;
  closed: boolean;
}

export function createReplicaSync<M extends RoomMember>(o: ReplicaSyncOptions<M>): ReplicaSync {
  const st: SyncState<M> = {
    o,
    localEpochs: new Map(),
    loaded: false,
    early: [],
    resyncing: false,
    closed: false,
  };
  o.link.attach(o.roomId, {
    onEntries(entries) {
      if (st.closed) return;
      if (!st.loaded) for (const e of entries) st.early.push(e);
      else applyRemote(st, entries);
    },
    onReset: () => reassert(st),
    onEvent(event) {
      if (!st.closed) o.onEvent?.(o.roomId, event);
    },
  });
  return {
    ready: o.link.syncRequest(o.roomId).then((snapshot) => load(st, snapshot)),
    publish(entry) {
      o.replica.apply(entry);
      if (entry.kind === "enter") {
        remember(st, entry.connectionId, entry.userId, entry.epoch);
        st.localEpochs.set(entry.connectionId, entry.epoch);
      } else if (entry.kind === "leave") st.localEpochs.delete(entry.connectionId);
      o.changed(entry);
      o.link.write(o.roomId, [entry]);
    },
    remember: (cid, userId, epoch) => remember(st, cid, userId, epoch),
    close() {
      st.closed = true;
      o.link.detach(o.roomId);
    },
  };
}

function remember<M extends RoomMember>(st: SyncState<M>, cid: string, userId: string, epoch: number): void {
  st.o.known.remember(st.o.roomId, cid, userId, epoch);
}

/** The pod's first snapshot, then what it sent meanwhile. */
function load<M extends RoomMember>(st: SyncState<M>, snapshot: readonly PeerState[]): void {
  const { replica, views } = st.o;
  replica.applySnapshot(snapshot);
  st.o.reloaded();
  for (const p of snapshot) {
    remember(st, p.connectionId, p.userId, p.epoch);
    views.observe({ kind: "enter", ...p }, p);
  }
  st.loaded = true;
  const buffered = st.early;
  st.early = [];
  applyRemote(st, buffered);
}

function applyRemote<M extends RoomMember>(st: SyncState<M>, entries: readonly BatchEntry[]): void {
  let gap = false;
  for (const e of entries) {
    const outcome = st.o.replica.apply(e);
    switch (outcome.kind) {
      case "entered": {
        remember(st, e.connectionId, outcome.peer.userId, outcome.peer.epoch);
        const local = st.o.members.get(e.connectionId);
        if (local && st.localEpochs.get(e.connectionId) !== outcome.peer.epoch) st.o.onReplaced(local);
        st.o.changed(e);
        break;
      }
      case "updated":
      case "left":
        st.o.changed(e);
        break;
      case "gap":
        gap = true;
        break;
      case "stale":
      case "hidden": // only clients apply hide entries; the link never carries one
        break;
      default:
        assertNever(outcome);
    }
  }
  if (gap) void resync(st);
}

/**
 * The room moved to another pod (split mode), which may not know this edge's
 * connections: re-assert them first, so that it owns them (and keeps them alive
 * on the bus) and has them in the snapshot; then resync what changed meanwhile.
 * Before the first snapshot the link asks the new pod again by itself.
 */
function reassert<M extends RoomMember>(st: SyncState<M>): void {
  if (st.closed) return;
  const { replica, members, link, roomId } = st.o;
  const mine: BatchEntry[] = [];
  for (const cid of members.keys()) {
    const peer = replica.get(cid);
    if (peer) mine.push({ kind: "enter", ...peer });
  }
  if (mine.length > 0) link.write(roomId, mine);
  if (st.loaded) void resync(st);
}

/** Re-reads the pod's state after a gap; local connections keep the state this edge holds. */
async function resync<M extends RoomMember>(st: SyncState<M>): Promise<void> {
  if (st.resyncing || st.closed) return;
  st.resyncing = true;
  const { replica, members, link, roomId, changed } = st.o;
  try {
    const snapshot = await link.syncRequest(roomId);
    if (st.closed) return;
    const mine = [...members.keys()].map((cid) => replica.get(cid)).filter((p) => p !== undefined);
    st.o.reloaded();
    for (const change of replica.applySnapshot(snapshot)) {
      if (change.kind === "entered") changed({ kind: "enter", ...change.peer });
      else if (!members.has(change.previous.connectionId)) {
        const p = change.previous;
        changed({
          kind: "leave",
          connectionId: p.connectionId,
          epoch: p.epoch,
          clock: p.clock,
          reason: "expired",
        });
      }
    }
    for (const p of mine) {
      const now = replica.get(p.connectionId);
      if (!now || now.epoch !== p.epoch || now.clock < p.clock) {
        replica.put(p);
        changed({ kind: "enter", ...p });
        link.write(roomId, [{ kind: "enter", ...p }]);
      }
    }
  } finally {
    st.resyncing = false;
  }
}
