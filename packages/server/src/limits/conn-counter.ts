// Live connections per key (a client address, a token subject), capped
// (docs/SECURITY.md#connection-caps). A map of counts, not of sockets: the caller
// releases what it acquired when the socket closes.

export interface ConnCounter {
  /** Counts a connection for `key`; false (and not counted) when the cap is reached. */
  acquire(key: string): boolean;
  /** Releases a connection counted by acquire. */
  release(key: string): void;
  /** Live connections counted for `key`. */
  count(key: string): number;
}

/** @param max live connections allowed per key; 0 = unlimited. */
export function createConnCounter(max: number): ConnCounter {
  const counts = new Map<string, number>();
  return {
    acquire(key) {
      const n = counts.get(key) ?? 0;
      if (max > 0 && n >= max) return false;
      counts.set(key, n + 1);
      return true;
    },
    release(key) {
      const n = counts.get(key) ?? 0;
      if (n <= 1) counts.delete(key);
      else counts.set(key, n - 1);
    },
    count: (key) => counts.get(key) ?? 0,
  };
}
