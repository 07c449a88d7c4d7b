// Small byte helpers shared by the client protocols.

/** Occurrences of `marker` in `payload`: a native byte search, so counting needs no parsing. */
export function countOccurrences(payload, marker) {
  let n = 0;
  let at = payload.indexOf(marker);
  while (at >= 0) {
    n++;
    at = payload.indexOf(marker, at + marker.length);
  }
  return n;
}

/**
 * A stable 22-character base64url id for client `gid` (the size of a random
 * 128-bit connection id), for the peers' JSON messages.
 */
export function connectionIdFor(gid) {
  const bytes = Buffer.alloc(16);
  bytes.writeUInt32BE(gid >>> 0, 0);
  bytes.writeUInt32BE(0x9e3779b9, 4);
  bytes.writeUInt32BE(Math.imul(gid, 0x85ebca6b) >>> 0, 8);
  bytes.writeUInt32BE(Math.imul(gid ^ 0x5bd1e995, 0xc2b2ae35) >>> 0, 12);
  return bytes.toString("base64url");
}
