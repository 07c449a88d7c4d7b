// The SDK's side of entry aliases (PROTOCOL.md §4 "Revision 3: aliases and compact
// moves"): alias → (connectionId, epoch), as the server announced them on this
// socket. An alias is learnt from an enter entry or a snapshot peer that carries
// it, forgotten with the leave or hide that names it, and a complete snapshot
// replaces the table (it is authoritative: what it lacks is gone). The server
// never reuses an alias within a room's life, so a mapping can only be missing,
// never wrong; a missing one is MALFORMED_MESSAGE, which the SDK answers with a
// resync like any other corrupt input. One table per socket: a new socket starts
// empty.
import { malformed } from "./wire-fields.js";

/** What an alias stands for: one connection at one epoch. */
export interface AliasedConnection {
  readonly connectionId: string;
  readonly epoch: number;
}

export class EntryAliasTable {
  private live = new Map<number, AliasedConnection>();
  /** Aliases of the snapshot being received (its chunks), made the table at SNAPSHOT_DONE. */
  private incoming: Map<number, AliasedConnection> | undefined;

  /** An enter entry announced `alias`. */
  learn(alias: number, connectionId: string, epoch: number): void {
    this.live.set(alias, { connectionId, epoch });
  }

  /** A snapshot chunk's peer announced `alias`. */
  learnFromSnapshot(alias: number, connectionId: string, epoch: number): void {
    this.learn(alias, connectionId, epoch);
    (this.incoming ??= new Map()).set(alias, { connectionId, epoch });
  }

  /** SNAPSHOT_DONE: the table is now exactly the aliases that snapshot announced. */
  snapshotDone(): void {
    this.live = this.incoming ?? new Map();
    this.incoming = undefined;
  }

  /** The connection an entry's alias names; MALFORMED_MESSAGE when this socket was never told it. */
  resolve(alias: number): AliasedConnection {
    const c = this.live.get(alias);
    if (c === undefined) malformed(`unknown alias ${alias}`);
    return c;
  }

  /** A leave or hide named `alias`: the server announces the connection again before naming it again. */
  forget(alias: number): void {
    this.live.delete(alias);
  }

  /** Aliases known (tests, diagnostics). */
  get size(): number {
    return this.live.size;
  }
}
