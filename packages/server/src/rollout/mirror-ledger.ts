// What one mirror connection owes staging, and its counting (shadow-connection.ts).
// `state` is the production truth, `staged` what staging holds from us, `dirty`
// the production diffs not reproduced yet. Every production diff ends as one
// `shadowMirrored` (reproduced) or one `shadowDropped` (folded into another
// message, lost with a socket, or arriving while staging is unreachable), so
// mirrored + dropped = diffs observed (docs/OPERATIONS.md#shadow-traffic); drops
// are counted when they happen, so a staging outage shows in the metrics at once.
import { jsonEqual, type Patch, type PresenceData } from "@collabblocks/protocol";
import type { ShadowCounters } from "./mirror-context.js";

export interface MirrorLedger {
  /** The production truth. */
  readonly state: PresenceData;
  /** Production diffs waiting to be reproduced. */
  readonly dirty: number;
  /** Production accepted a patch: `next` is the truth now (counted by one of the calls below). */
  observe(next: PresenceData): void;
  /** The diff just observed went out by itself. */
  sentAtOnce(): void;
  /** The diff just observed waits to be folded into the next catch-up. */
  fold(): void;
  /** The diff just observed is not reproduced (staging unreachable, mirror replaced or closed). */
  drop(): void;
  /** The waiting diffs are lost (with a socket, or to a replacing one); the next welcome re-asserts. */
  loseWaiting(): void;
  /** The patch from staged to state; with `full`, every key (a new socket re-asserts the state). */
  pending(full: boolean): Patch;
  /** Only deletions went out: what staging holds is unknown, so the next patch sets every key. */
  forgetStaged(): void;
  /** `pending` went out (or was empty): the newest diff counts as mirrored, the ones folded into it as dropped. */
  settled(): void;
  /** The production connection ended: its leave is mirrored when `reached` staging, else dropped. */
  ended(reached: boolean): void;
}

/** The patch that turns `from` into `to` (values compared deeply). */
export function diffStates(from: PresenceData, to: PresenceData): Patch {
  const set: Record<string, PresenceData[string]> = {};
  for (const key of Object.keys(to)) {
    if (!Object.hasOwn(from, key) || !jsonEqual(from[key]!, to[key]!)) set[key] = to[key]!;
  }
  return { set: set as PresenceData, del: Object.keys(from).filter((k) => !Object.hasOwn(to, k)) };
}

export function isEmptyPatch(patch: Patch): boolean {
  return Object.keys(patch.set).length === 0 && patch.del.length === 0;
}

/** A ledger whose first diff (the enter, reproduced by staging's welcome) is waiting. */
export function createMirrorLedger(stats: ShadowCounters, entered: PresenceData): MirrorLedger {
  let state = entered;
  /** What staging holds from us, as far as we know ({} until something was sent). */
  let staged: PresenceData = {};
  let dirty = 1;
  const loseWaiting = (): void => {
    stats.shadowDropped += dirty;
    dirty = 0;
  };
  return {
    get state() {
      return state;
    },
    get dirty() {
      return dirty;
    },
    observe(next) {
      state = next;
    },
    sentAtOnce() {
      staged = state;
      stats.shadowMirrored++;
    },
    fold() {
      dirty++;
    },
    drop() {
      stats.shadowDropped++;
    },
    loseWaiting,
    pending(full) {
      if (!full) return diffStates(staged, state);
      return { set: state, del: Object.keys(staged).filter((k) => !Object.hasOwn(state, k)) };
    },
    forgetStaged() {
      staged = {};
    },
    settled() {
      staged = state;
      if (dirty > 0) {
        stats.shadowMirrored++; // one message reproduces the newest diff; the others were folded into it
        stats.shadowDropped += dirty - 1;
      }
      dirty = 0;
    },
    ended(reached) {
      if (reached)
        stats.shadowMirrored++; // the leave
      else stats.shadowDropped++;
      loseWaiting();
    },
  };
}
