// New connection ids (PROTOCOL.md §1: 16 random bytes, base64url), cut from a pool
// of random bytes filled 4 KB at a time. randomBytes(16) per join cost ~10 µs on a
// loaded core (~1 % of L1's 10 000-join storm, docs/BENCHMARKS.md session 8); the
// bytes come from the same CSPRNG either way, as Node's own randomUUID pools them.
import { randomFillSync } from "node:crypto";

/** Bytes of randomness in a connection id. */
export const CONNECTION_ID_BYTES = 16;
/** Random bytes drawn at a time (256 ids). */
const POOL_BYTES = 4096;

/** A source of fresh connection ids: each call returns an id no earlier call did (with 128-bit odds). */
export function createConnectionIds(): () => string {
  let pool = Buffer.alloc(0);
  let at = 0;
  return () => {
    if (at + CONNECTION_ID_BYTES > pool.length) {
      pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
      at = 0;
    }
    const id = pool.toString("base64url", at, at + CONNECTION_ID_BYTES);
    // Each id's bytes are used once: zeroed so no later reader of the pool sees them.
    pool.fill(0, at, at + CONNECTION_ID_BYTES);
    at += CONNECTION_ID_BYTES;
    return id;
  };
}
