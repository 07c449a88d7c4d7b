// Page visibility, injectable: the default reads `document` when there is one
// (browsers), and is absent elsewhere (Node, SSR), where the page is never hidden.

export interface VisibilitySource {
  isHidden(): boolean;
  /** Calls `onChange` when visibility may have changed; returns the unsubscribe function. */
  subscribe(onChange: () => void): () => void;
}

export function documentVisibility(): VisibilitySource | null {
  if (typeof document === "undefined" || typeof document.addEventListener !== "function") return null;
  const doc = document;
  return {
    isHidden: () => doc.visibilityState === "hidden",
    subscribe(onChange) {
      doc.addEventListener("visibilitychange", onChange);
      return () => doc.removeEventListener("visibilitychange", onChange);
    },
  };
}
