import type { Json } from "./json.js";

/** A presence state on the wire: top-level keys to JSON values. */
export interface PresenceData {
  readonly [key: string]: Json;
}

/** A patch: shallow-merge `set`, then delete `del`. `undefined` never appears. */
export interface Patch {
  readonly set: PresenceData;
  readonly del: readonly string[];
}

/** Versions order by (epoch, clock). */
export interface Version {
  readonly epoch: number;
  readonly clock: number;
}

/** Keys of `User<P>` that are not presence; a patch may not set them. */
// `reconnecting` since revision 2 (PROTOCOL.md §9): the SDK shows it on a peer that dropped.
export const RESERVED_KEYS: ReadonlySet<string> = new Set([
  "connectionId",
  "userId",
  "info",
  "reconnecting",
  "__proto__",
]);
