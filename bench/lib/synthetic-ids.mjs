// Connection ids of the synthetic edge's members (synthetic-edge.mjs), known to the
// probes so they can time updates that came through the pod apart from the others.
export const SYNTHETIC_PREFIX = "syn";

/** A connection id of a real edge's length (22 characters), so entries weigh what real ones do. */
export const syntheticId = (i) => `${SYNTHETIC_PREFIX}${String(i).padStart(19, "0")}`;

export const isSynthetic = (cid) => typeof cid === "string" && cid.startsWith(SYNTHETIC_PREFIX);
