// Outgoing presence: coalesces patches and paces frames.
//
// A frame goes out when (a) one `throttle` period has passed since the last one
// and (b) the local model of the server's token bucket has a token (rate-budget.ts).
// Until then patches compose into one pending patch (last value per key wins), so
// any call pattern yields bounded frames and never draws RATE_LIMITED. The first
// change after a quiet period leaves on the next microtask: calls made in the same
// event-loop turn share a frame without adding a timer's delay.
//
// While the page is hidden, cursor changes are withheld (the pending cursor at the
// moment the page hides still goes out); they rejoin the pending patch when visible.
import { composePatches, type Patch } from "@collabblocks/protocol";
import { isEmptyPatch, splitPatch } from "./presence-diff.js";
import type { RateBudget } from "./rate-budget.js";
import { createTimerSlot, type Timers } from "./timers.js";

/**
 * Keys withheld while the page is hidden: the clear cursor. A sealed cursor travels inside the
 * sealed state with every other sealed field (docs/E2EE.md#fields), so it is not withheld: that
 * would hold back a sealed status too.
 */
export const HIDDEN_WITHHELD_KEYS: ReadonlySet<string> = new Set(["cursor"]);

export interface OutboxOptions {
  readonly timers: Timers;
  /** Minimum spacing of frames, ms (the client's `throttle`). */
  readonly throttleMs: number;
  /** Writes one patch as an UPDATE_PRESENCE frame; false when the socket could not take it. */
  readonly send: (patch: Patch) => boolean;
  readonly isHidden: () => boolean;
}

export interface Outbox {
  add(patch: Patch): void;
  /** Connected: send under `budget`. `first` (the re-assert) replaces anything pending. */
  start(budget: RateBudget, first: Patch | null): void;
  /** Disconnected: keep coalescing, send nothing. */
  stop(): void;
  /** Replaces what is pending (repair after the server refused a patch). */
  replace(patch: Patch): void;
  /** Call when the page's visibility changed. */
  visibilityChanged(): void;
  /** The patch waiting to go out (tests, diagnostics). */
  readonly pending: Patch | null;
  dispose(): void;
}

export function createOutbox(options: OutboxOptions): Outbox {
  const { timers, throttleMs, send, isHidden } = options;
  const slot = createTimerSlot(timers);
  let budget: RateBudget | null = null;
  let pending: Patch | null = null;
  let withheld: Patch | null = null;
  let lastSentAt = Number.NEGATIVE_INFINITY;
  let microtaskQueued = false;
  let disposed = false;

  const compose = (a: Patch | null, b: Patch): Patch => (a === null ? b : composePatches(a, b));

  function schedule(): void {
    if (disposed || budget === null || pending === null || slot.active || microtaskQueued) return;
    const now = timers.now();
    const at = Math.max(lastSentAt + throttleMs, budget.readyAt(now));
    if (at <= now) {
      microtaskQueued = true;
      queueMicrotask(() => {
        microtaskQueued = false;
        flush();
      });
    } else {
      slot.start(at - now, flush);
    }
  }

  function flush(): void {
    if (disposed || budget === null || pending === null) return;
    const now = timers.now();
    if (now < lastSentAt + throttleMs || !budget.take(now)) {
      schedule();
      return;
    }
    const patch = pending;
    pending = null;
    lastSentAt = now;
    if (!send(patch)) pending = patch; // socket closing: the re-assert after reconnect covers it
    schedule();
  }

  return {
    add(patch) {
      if (isEmptyPatch(patch)) return;
      if (isHidden()) {
        const [cursor, rest] = splitPatch(patch, HIDDEN_WITHHELD_KEYS);
        if (!isEmptyPatch(cursor)) withheld = compose(withheld, cursor);
        if (isEmptyPatch(rest)) return;
        patch = rest;
      }
      pending = compose(pending, patch);
      schedule();
    },
    start(nextBudget, first) {
      budget = nextBudget;
      lastSentAt = Number.NEGATIVE_INFINITY;
      pending = first !== null && !isEmptyPatch(first) ? first : null;
      withheld = null;
      slot.clear();
      schedule();
    },
    stop() {
      budget = null;
      slot.clear();
    },
    replace(patch) {
      pending = isEmptyPatch(patch) ? null : patch;
      withheld = null;
      schedule();
    },
    visibilityChanged() {
      if (!isHidden() && withheld !== null) {
        pending = compose(pending, withheld);
        withheld = null;
      }
      schedule();
    },
    get pending() {
      return pending;
    },
    dispose() {
      disposed = true;
      budget = null;
      slot.clear();
    },
  };
}
