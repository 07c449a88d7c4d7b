// Where a room on the Redis bus is in its life (room-sync.ts), as one named state
// instead of the three booleans it replaced (joined, joining, stopped, which could
// say impossible things such as "joined and joining") plus the own-read flag that
// only means something once joined:
//
//   unjoined ──tick──▶ joining ──state loaded──▶ joined ◀─┐ (own entry written /
//      ▲                  │                        │    └─┘  read lazily)
//      └───join failed────┘                        │
//   any ──────────────────stop()──────────────────▶ stopped (final)
//
// Two flags of the writer stay outside it, on purpose: `lost` (a write failed:
// re-assert own connections at the next good touch) and `touching` (a touch is
// in flight) are independent of the phase — both happen before and after the
// join — so folding them in would multiply the states without adding a rule.

export type RoomSyncPhase =
  /** Nothing read yet; the next tick starts the join. */
  | { readonly kind: "unjoined" }
  /** Loading the room's state hash and last-seen set. */
  | { readonly kind: "joining" }
  /** Reading other pods' entries through this pod's group; `ownUnread`: own entries written since the last read. */
  | { readonly kind: "joined"; readonly ownUnread: boolean }
  /** Stopped: nothing is read, delivered or re-asserted any more. */
  | { readonly kind: "stopped" };

export type RoomSyncPhaseKind = RoomSyncPhase["kind"];

/** The allowed transitions, from → to (joined → joined flips `ownUnread`). */
export const ROOM_SYNC_TRANSITIONS: Readonly<Record<RoomSyncPhaseKind, readonly RoomSyncPhaseKind[]>> = {
  unjoined: ["joining", "stopped"],
  joining: ["joined", "unjoined", "stopped"],
  joined: ["joined", "stopped"],
  stopped: [],
};

export const UNJOINED: RoomSyncPhase = { kind: "unjoined" };
export const JOINING: RoomSyncPhase = { kind: "joining" };
export const STOPPED: RoomSyncPhase = { kind: "stopped" };
export const joinedPhase = (ownUnread: boolean): RoomSyncPhase => ({ kind: "joined", ownUnread });

/** The next phase; throws on a transition the table does not allow (a bug, never input). */
export function moveTo(from: RoomSyncPhase, to: RoomSyncPhase): RoomSyncPhase {
  if (!ROOM_SYNC_TRANSITIONS[from.kind].includes(to.kind)) {
    throw new Error(`room sync: ${from.kind} → ${to.kind} is not allowed`);
  }
  return to;
}
