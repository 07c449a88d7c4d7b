// A tiny typed event emitter: `on` returns the unsubscribe function (CONTRIBUTING.md#habits (6)).
// A listener that throws does not break the SDK's state machine: the error is
// re-thrown on a microtask, so it still reaches the console / global handler.

// biome-ignore lint/suspicious/noExplicitAny: listener parameter lists vary per event
type Listener = (...args: any[]) => void;

export interface Emitter<Events extends { [K in keyof Events]: Listener }> {
  on<K extends keyof Events>(event: K, listener: Events[K]): () => void;
  emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void;
  count(event: keyof Events): number;
}

/** Default listener-error report: re-throw outside the SDK's call stack. */
export function rethrowLater(err: unknown): void {
  queueMicrotask(() => {
    throw err;
  });
}

export function createEmitter<Events extends { [K in keyof Events]: Listener }>(
  reportError: (err: unknown) => void = rethrowLater,
): Emitter<Events> {
  const listeners = new Map<keyof Events, Set<Listener>>();
  return {
    on(event, listener) {
      let set = listeners.get(event);
      if (set === undefined) {
        set = new Set();
        listeners.set(event, set);
      }
      // Wrap so the same function subscribed twice gets two independent subscriptions.
      const entry: Listener = (...args) => listener(...args);
      set.add(entry);
      return () => {
        set.delete(entry);
      };
    },
    emit(event, ...args) {
      const set = listeners.get(event);
      if (set === undefined) return;
      for (const listener of [...set]) {
        try {
          listener(...args);
        } catch (err) {
          reportError(err);
        }
      }
    },
    count(event) {
      return listeners.get(event)?.size ?? 0;
    },
  };
}
