// Patch helpers on top of the protocol's patch rules.
import { type Json, jsonEqual, type Patch, type PresenceData, setOwn } from "@collabblocks/protocol";

export function isEmptyPatch(patch: Patch): boolean {
  return patch.del.length === 0 && Object.keys(patch.set).length === 0;
}

/** The patch that turns `from` into `to`: changed or new keys set, missing keys deleted. */
export function diffStates(from: PresenceData, to: PresenceData): Patch {
  const set: Record<string, Json> = {};
  const del: string[] = [];
  for (const key of Object.keys(to)) {
    const value = to[key] as Json;
    if (!Object.hasOwn(from, key) || !jsonEqual(from[key], value)) setOwn(set, key, value);
  }
  for (const key of Object.keys(from)) if (!Object.hasOwn(to, key)) del.push(key);
  return { set, del };
}

/** Drops the parts of `patch` that would not change `state` (same value set, absent key deleted). */
export function effectivePatch(state: PresenceData, patch: Patch): Patch {
  const set: Record<string, Json> = {};
  for (const key of Object.keys(patch.set)) {
    const value = patch.set[key] as Json;
    if (!Object.hasOwn(state, key) || !jsonEqual(state[key], value)) setOwn(set, key, value);
  }
  return { set, del: patch.del.filter((key) => Object.hasOwn(state, key)) };
}

/** Splits a patch into the part touching `keys` and the rest. */
export function splitPatch(patch: Patch, keys: ReadonlySet<string>): [inside: Patch, outside: Patch] {
  const inSet: Record<string, Json> = {};
  const outSet: Record<string, Json> = {};
  for (const key of Object.keys(patch.set)) setOwn(keys.has(key) ? inSet : outSet, key, patch.set[key]);
  return [
    { set: inSet, del: patch.del.filter((k) => keys.has(k)) },
    { set: outSet, del: patch.del.filter((k) => !keys.has(k)) },
  ];
}
