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
