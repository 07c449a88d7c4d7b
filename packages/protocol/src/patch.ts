// Patches: shallow top-level merge with an explicit delete list (PROTOCOL.md §5).
import { type Json, setOwn } from "./json.js";
import type { Patch, PresenceData, Version } from "./presence-types.js";

export const EMPTY_PATCH: Patch = { set: {}, del: [] };

/** Applies a patch: top-level keys of `set` replace (nested objects whole), `del` keys are removed. */
export function applyPatch(state: PresenceData, patch: Patch): PresenceData {
  const out: Record<string, Json> = {};
  for (const key of Object.keys(state)) setOwn(out, key, state[key]);
  for (const key of Object.keys(patch.set)) setOwn(out, key, patch.set[key]);
  for (const key of patch.del) delete out[key];
  return out;
}

/** The patch equal to applying `a` then `b`. Coalescing is therefore always safe. */
export function composePatches(a: Patch, b: Patch): Patch {
  const set: Record<string, Json> = {};
  const del = new Set<string>();
  for (const key of Object.keys(a.set)) setOwn(set, key, a.set[key]);
  for (const key of a.del) del.add(key);
  for (const key of b.del) {
    delete set[key];
    del.add(key);
  }
  for (const key of Object.keys(b.set)) {
    setOwn(set, key, b.set[key]);
    del.delete(key);
  }
  return { set, del: [...del] };
}

/** Turns an SDK-style partial object (undefined = delete) into a wire patch. */
export function patchFromPartial(partial: Readonly<Record<string, unknown>>): Patch {
  const set: Record<string, unknown> = {};
  const del: string[] = [];
  for (const key of Object.keys(partial)) {
    const value = partial[key];
    if (value === undefined) del.push(key);
    else setOwn(set, key, value);
  }
  return { set: set as PresenceData, del };
}

/** Negative if a < b, 0 if equal, positive if a > b; versions order by (epoch, clock). */
export function compareVersions(a: Version, b: Version): number {
  return a.epoch !== b.epoch ? a.epoch - b.epoch : a.clock - b.clock;
}
