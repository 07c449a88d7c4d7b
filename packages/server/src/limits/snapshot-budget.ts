// Snapshot bytes per connection (PROTOCOL.md §6, docs/SECURITY.md#amplification).
// A 4-byte SYNC_REQUEST answered with a whole room is the cheapest amplifier a
// client has; counting requests does not bound it (one a second of a 382 KB room
// is 382 KB/s per socket). So what a connection may be sent in snapshots — the
// join snapshot included — is a byte budget: a snapshot is written only while
// the budget is not in debt, and its size is then spent, so one snapshot of any
// size is always served and the long-run rate is the budget's. Requests beyond it
// are not refused (the SDK would time out and ask again): the latest one waits.
import type { TokenBucketSpec } from "./token-bucket.js";

/** Snapshot bytes per second per connection, and the burst after idling. */
export const SNAPSHOT_BYTES: TokenBucketSpec = { ratePerSecond: 256 * 1024, burst: 1024 * 1024 };
