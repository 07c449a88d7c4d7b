// Rollout gates (docs/OPERATIONS.md "Rollout procedure"): presence only for
// listed plans and/or organisations, from the verified token's `plan` and `org`
// claims. Everything else is refused at connect with PLAN_NOT_ENABLED (close
// 4003; the SDK reports it and does not retry). Pure: lists in, a decision out;
// reading and watching the gates file is gates-file.ts's job.
//
// Semantics, chosen so each rollout step is one small edit:
//  - a dimension that is not listed (no `plans` key and no --allow-plans) is not
//    gated; an empty list `[]` matches nobody (so `{"plans": []}` turns presence
//    off for everyone: the kill switch);
//  - mode "any" (default): allowed when the plan OR the org is listed (internal
//    org + partners + whole plans); mode "all": the plan AND the org must be
//    listed (e.g. only the enterprise seats of a partner org);
//  - no dimension listed at all = everything allowed (no gates);
//  - a token without `org` never matches an org list.
// The file and the flags add up (union per dimension): flags are what is always
// enabled, the file is what the rollout adds and can change without a restart.
import type { ErrorCode } from "@collabblocks/protocol";

export type GateMode = "any" | "all";
export const GATE_MODES: readonly GateMode[] = ["any", "all"];

/** A parsed source of gates (the file or the flags): absent lists are not gated. */
export interface GateSpec {
  readonly plans?: readonly string[];
  readonly orgs?: readonly string[];
  readonly mode?: GateMode;
}

export interface Gates {
  /** Allowed plans; undefined = plans are not gated. */
  readonly plans: ReadonlySet<string> | undefined;
  /** Allowed organisations; undefined = orgs are not gated. */
  readonly orgs: ReadonlySet<string> | undefined;
  readonly mode: GateMode;
}

/** What a gate looks at: the token's claims, or a live connection (which keeps them). */
export interface GateSubject {
  readonly plan: string;
  readonly org: string | undefined;
}

export const OPEN_GATES: Gates = { plans: undefined, orgs: undefined, mode: "any" };

/** Longest plan or org name accepted in a list (the token's `plan` is at most 64 characters too). */
const MAX_NAME_LENGTH = 256;
const FILE_KEYS = new Set(["plans", "orgs", "mode", "comment"]);

function checkNames(value: unknown, what: string): readonly string[] {
  if (!Array.isArray(value)) throw new RangeError(`${what} must be an array of strings`);
  for (const name of value) {
    if (typeof name !== "string" || name.length === 0 || name.length > MAX_NAME_LENGTH) {
      throw new RangeError(`${what} must hold non-empty strings of at most ${MAX_NAME_LENGTH} characters`);
    }
  }
  return value as string[];
}

/**
 * Parses a gates file: `{"plans": [...], "orgs": [...], "mode": "any"|"all", "comment": "..."}`,
 * every key optional. Unknown keys are refused (a typo like "org" must not silently open the gate).
 * Throws RangeError with a one-line message.
 */
export function parseGatesJson(text: string): GateSpec {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RangeError(`not valid JSON (${(err as Error).message.split("\n")[0]})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RangeError('must be a JSON object like {"plans": ["pro"], "orgs": ["org_internal"]}');
  }
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!FILE_KEYS.has(key)) throw new RangeError(`unknown key "${key}" (expected plans, orgs, mode)`);
  }
  const { plans, orgs, mode, comment } = obj;
  if (mode !== undefined && !(GATE_MODES as readonly unknown[]).includes(mode)) {
    throw new RangeError(`"mode" must be "any" or "all"`);
  }
  if (comment !== undefined && typeof comment !== "string")
    throw new RangeError(`"comment" must be a string`);
  return {
    ...(plans !== undefined ? { plans: checkNames(plans, '"plans"') } : {}),
    ...(orgs !== undefined ? { orgs: checkNames(orgs, '"orgs"') } : {}),
    ...(mode !== undefined ? { mode: mode as GateMode } : {}),
  };
}

/** Splits a flag's comma-separated list (`--allow-plans pro,enterprise`); empty items are refused. */
export function parseNameList(raw: string, what: string): readonly string[] {
  const names = raw.split(",").map((s) => s.trim());
  if (names.some((n) => n === "")) throw new RangeError(`${what} must be comma-separated names, none empty`);
  return checkNames(names, what);
}

/** Combines sources: lists are unioned per dimension, the last mode given wins (default "any"). */
export function buildGates(...specs: readonly GateSpec[]): Gates {
  let plans: Set<string> | undefined;
  let orgs: Set<string> | undefined;
  let mode: GateMode = "any";
  for (const spec of specs) {
    if (spec.plans) plans = new Set([...(plans ?? []), ...spec.plans]);
    if (spec.orgs) orgs = new Set([...(orgs ?? []), ...spec.orgs]);
    if (spec.mode) mode = spec.mode;
  }
  return { plans, orgs, mode };
}

/** PLAN_NOT_ENABLED when the gates refuse the subject, else undefined. */
export function gateRefusal(gates: Gates, subject: GateSubject): ErrorCode | undefined {
  const checks: boolean[] = [];
  if (gates.plans) checks.push(gates.plans.has(subject.plan));
  if (gates.orgs) checks.push(subject.org !== undefined && gates.orgs.has(subject.org));
  if (checks.length === 0) return undefined;
  const allowed = gates.mode === "all" ? checks.every(Boolean) : checks.some(Boolean);
  return allowed ? undefined : "PLAN_NOT_ENABLED";
}

/** True when both gates decide every subject the same way (same lists, same mode). */
export function sameGates(a: Gates, b: Gates): boolean {
  const same = (x: ReadonlySet<string> | undefined, y: ReadonlySet<string> | undefined) =>
    x === undefined || y === undefined ? x === y : x.size === y.size && [...x].every((v) => y.has(v));
  return a.mode === b.mode && same(a.plans, b.plans) && same(a.orgs, b.orgs);
}

/** For logs: plans by name (few, not personal), orgs by count. */
export function describeGates(gates: Gates): Record<string, unknown> {
  return {
    plans: gates.plans ? [...gates.plans] : "all",
    orgs: gates.orgs ? gates.orgs.size : "all",
    mode: gates.mode,
  };
}

/** The live gates behind the token verifier's `authorize` hook; `set` swaps them atomically. */
export interface GateKeeper {
  readonly gates: Gates;
  set(gates: Gates): void;
  /** The verifier's hook (and the re-check of live connections after a reload). */
  authorize(subject: GateSubject): ErrorCode | undefined;
}

export function createGateKeeper(initial: Gates = OPEN_GATES): GateKeeper {
  let current = initial;
  return {
    get gates() {
      return current;
    },
    set(gates) {
      current = gates;
    },
    authorize: (subject) => gateRefusal(current, subject),
  };
}
