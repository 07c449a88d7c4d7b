// Connection ids that only their user can claim (PROTOCOL.md §1, docs/SECURITY.md#identity).
// An id chosen by the client is bound to a user by the edge's memory, and that
// memory is lost when a single-process server restarts: a peer who saw a
// victim's id could claim it first, and the victim's reconnect was refused. An
// SDK therefore sends a secret identity key instead, and the id is derived from
// the key and the verified token's `sub`: the same user with the same key gets
// the same id after any restart, and nobody else can produce it (they would need
// the key, which never leaves that client, or a SHA-256 preimage). Derived ids
// have their own form, so one cannot be claimed as a plain `cid` either.
import { createHash } from "node:crypto";
import { DERIVED_CONNECTION_ID_PATTERN } from "@collabblocks/protocol";

/** The connectionId of `sub` holding identity key `key`: `K` + 23 base64url characters of SHA-256. */
export function deriveConnectionId(sub: string, key: string): string {
  const digest = createHash("sha256").update(`collabblocks/cid\n${sub}\n${key}`).digest("base64url");
  return `K${digest.slice(0, 23)}`;
}

/** Is this a derived id (which only its key may claim)? */
export function isDerivedConnectionId(connectionId: string): boolean {
  return DERIVED_CONNECTION_ID_PATTERN.test(connectionId);
}
