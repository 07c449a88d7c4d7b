// What an edge tells an observer about its own (local) connections: the shadow
// mirror (shadow.ts) is one. Calls happen on the edge's hot path, after the edge
// has committed the change, with the live connection object itself (no copy per
// event); an observer must return quickly and must never throw.
import type { Json, Patch, PresenceData } from "@collabblocks/protocol";
import type { EndMode } from "./connection.js";

/** The read-only view of a local connection an observer gets. */
export interface ObservedConnection {
  readonly room: { readonly roomId: string };
  readonly connectionId: string;
  readonly userId: string;
  readonly info: Json | undefined;
  readonly plan: string;
  readonly org: string | undefined;
  /** The state after the event. */
  readonly state: PresenceData;
}

export interface ConnectionObserver {
  /** A connection joined (its enter, with `state`, was published). */
  entered(conn: ObservedConnection): void;
  /** A patch of the connection was accepted; `conn.state` already includes it. */
  updated(conn: ObservedConnection, patch: Patch): void;
  /** The connection ended (left, expired, dropped, replaced, or the server is shutting down). */
  ended(conn: ObservedConnection, mode: EndMode): void;
}
