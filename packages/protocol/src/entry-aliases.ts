// The SDK's side of entry aliases (PROTOCOL.md §4 "Revision 3: aliases and compact
// moves"): alias → (connectionId, epoch), as the server announced them on this
// socket. An alias is learnt from an enter entry or a snapshot peer that carries
// it, forgotten with the leave or hide that names it, and a complete snapshot
// replaces the table (it is authoritative: what it lacks is gone). The server
// never reuses an alias within a room's life, so a mapping can only be missing,
// never wrong; a missing one is MALFORMED_MESSAGE, which the SDK answers with a
// resync like any other corrupt input. One table per socket: a new socket starts
// empty.
import { malformed, uint } from "./wire-fields.js";

/** What an alias stands for: one connection at one epoch. */
export interface AliasedConnection {
  readonly connectionId: string;
  readonly epoch: number;
}

export interface EntryAliasTable {
  /** An enter entry (or, `inSnapshot`, a snapshot peer) announced `alias` (checked: an unsigned integer). */
  learn(alias: unknown, connectionId: string, epoch: number, inSnapshot?: boolean): void;
  /** SNAPSHOT_DONE: the table is now exactly the aliases that snapshot announced. */
  snapshotDone(): void;
  /** The connection an entry's alias names; MALFORMED_MESSAGE when this socket was never told it. */
  resolve(alias: number): AliasedConnection;
  /** A leave or hide named `alias`: the server announces the connection again before naming it again. */
  forget(alias: number): void;
}

/** A socket's empty table (a closure, not a class: the SDK's bundle budget). */
export function createEntryAliasTable(): EntryAliasTable {
  let live = new Map<number, AliasedConnection>();
  let incoming = new Map<number, AliasedConnection>(); // the snapshot being received
  return {
    learn(alias, connectionId, epoch, inSnapshot) {
      const a = uint(alias, "alias");
      const c = { connectionId, epoch };
      live.set(a, c);
      if (inSnapshot) incoming.set(a, c);
    },
    snapshotDone() {
      live = incoming;
      incoming = new Map();
    },
    resolve: (alias) => live.get(alias) ?? malformed("unknown alias"),
    forget: (alias) => live.delete(alias),
  };
}
