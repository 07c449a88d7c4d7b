// Signals that a lost connection may come back now (issue: recovering after a
// crash took ~17 s): the browser going online, the window getting focus. Each
// makes a connection waiting out a backoff try at once (connection.ts wake).
// Injectable like visibility.ts: absent outside browsers.

export interface WakeSource {
  /** Calls `onWake` on each signal; returns the unsubscribe function. */
  subscribe(onWake: () => void): () => void;
}

export function browserWake(): WakeSource | null {
  if (typeof window === "undefined" || typeof window.addEventListener !== "function") return null;
  const target = window;
  return {
    subscribe(onWake) {
      target.addEventListener("online", onWake);
      target.addEventListener("focus", onWake);
      return () => {
        target.removeEventListener("online", onWake);
        target.removeEventListener("focus", onWake);
      };
    },
  };
}
