// The commit phase of opening (e2ee-open.ts): rewrites a message's sealed values into clear
// ones, in arrival order, deciding with the replay guard (e2ee-replay.ts) which values apply.
// A refused value becomes an absent field (a `del` in an update) and one `onError` report.
import {
  type BatchMessage,
  type ClientBatchEntry,
  compareVersions,
  type Json,
  MessageType,
  type OccupancyMessage,
  type PresenceData,
  type SnapshotChunkMessage,
  type SnapshotDoneMessage,
  setOwn,
  type UpdateEntry,
  type Version,
} from "@collabblocks/protocol";
import { parseEnvelope } from "./e2ee-envelope.js";
import type { FieldPolicy } from "./e2ee-fields.js";
import type { ReplayGuard } from "./e2ee-replay.js";
import type { DecryptError, DecryptErrorCode } from "./types.js";

/** What a room receives after the join: what opening applies to (others pass through). */
export type Inbound = BatchMessage | SnapshotChunkMessage | SnapshotDoneMessage | OccupancyMessage;

/** The outcome of decrypting one envelope for one sender and field. */
export type Opened = { readonly value: Json } | { readonly code: DecryptErrorCode; readonly message: string };

/** Decryption results of a message, by sender, field and envelope text. */
export type Jobs = ReadonlyMap<string, Opened>;

export const jobKey = (cid: string, field: string, envelope: string) =>
  `${cid}\u0000${field}\u0000${envelope}`;

export interface RewriteContext {
  readonly policy: FieldPolicy;
  readonly replay: ReplayGuard;
  readonly onError: (error: DecryptError) => void;
}

function report(
  ctx: RewriteContext,
  cid: string,
  field: string,
  code: DecryptErrorCode,
  message: string,
): undefined {
  ctx.onError({ code, connectionId: cid, field, message });
  return undefined;
}

/** The clear value of one sealed value carried by an entry at version `at`, or undefined when refused. */
function openValue(ctx: RewriteContext, jobs: Jobs, cid: string, field: string, at: Version, value: Json) {
  const { replay } = ctx;
  const env = typeof value === "string" ? parseEnvelope(value) : null;
  if (env === null) return report(ctx, cid, field, "MALFORMED_ENVELOPE", "not an e1 envelope");
  if (env.epoch > at.epoch) {
    return report(ctx, cid, field, "REPLAYED", `sealed in epoch ${env.epoch}, carried by epoch ${at.epoch}`);
  }
  if (replay.verdict(cid, field, env.epoch, env.counter) === "replayed") {
    const last = replay.acceptedAt(cid, field);
    // An entry not newer than the one that carried the accepted value is a stale delivery
    // (duplicate or reordered) that the replica drops anyway (PROTOCOL.md §5): no event.
    if (last !== undefined && compareVersions(at, last) <= 0) return undefined;
    return report(ctx, cid, field, "REPLAYED", `counter ${env.counter} of epoch ${env.epoch} is not newer`);
  }
  const opened = jobs.get(jobKey(cid, field, value as string));
  if (opened === undefined) return report(ctx, cid, field, "DECRYPT_FAILED", "not prepared (own id changed)");
  if ("code" in opened) return report(ctx, cid, field, opened.code, opened.message);
  replay.accept(
    cid,
    field,
    { epoch: env.epoch, counter: env.counter, text: value as string },
    opened.value,
    at,
  );
  return opened.value;
}

/** A full state (enter, snapshot) of another connection, opened. */
function openState(
  ctx: RewriteContext,
  jobs: Jobs,
  cid: string,
  at: Version,
  state: PresenceData,
): PresenceData {
  const { policy } = ctx;
  const out: Record<string, Json> = {};
  const present = new Set<string>();
  for (const key of Object.keys(state)) {
    const field = policy.fieldOf(key);
    if (field !== null) present.add(field);
    else if (policy.isSealed(key)) report(ctx, cid, key, "NOT_SEALED", "a clear value for a sealed field");
    else setOwn(out, key, state[key]);
  }
  ctx.replay.fullState(cid, present, at);
  for (const field of present) {
    const value = openValue(ctx, jobs, cid, field, at, state[policy.wireKey(field)] as Json);
    if (value !== undefined) setOwn(out, field, value);
    else delete out[field]; // a refused sealed value also hides a clear twin
  }
  return out;
}

function openUpdate(ctx: RewriteContext, jobs: Jobs, entry: UpdateEntry): UpdateEntry {
  const { policy } = ctx;
  const cid = entry.connectionId;
  const at = { epoch: entry.epoch, clock: entry.clock };
  const set: Record<string, Json> = {};
  const del = new Set<string>();
  const deletedSealed: string[] = [];
  for (const key of entry.del) {
    const field = policy.fieldOf(key);
    del.add(field ?? key);
    if (field !== null) deletedSealed.push(field);
  }
  ctx.replay.deleted(cid, deletedSealed, at);
  const sealed: string[] = [];
  for (const key of Object.keys(entry.set)) {
    const field = policy.fieldOf(key);
    if (field !== null) sealed.push(field);
    else if (!policy.isSealed(key)) setOwn(set, key, entry.set[key]);
    else {
      report(ctx, cid, key, "NOT_SEALED", "a clear value for a sealed field");
      del.add(key);
    }
  }
  for (const field of sealed) {
    const value = openValue(ctx, jobs, cid, field, at, entry.set[policy.wireKey(field)] as Json);
    if (value === undefined) {
      delete set[field];
      del.add(field);
    } else {
      setOwn(set, field, value);
      del.delete(field);
    }
  }
  for (const key of Object.keys(set)) del.delete(key);
  return { ...entry, set, del: [...del] };
}

function rewriteEntry(
  ctx: RewriteContext,
  jobs: Jobs,
  entry: ClientBatchEntry,
  self: string,
): ClientBatchEntry {
  if (entry.connectionId === self) return entry; // own entries stay sealed: the room compares wire states
  switch (entry.kind) {
    case "enter":
      return { ...entry, state: openState(ctx, jobs, entry.connectionId, entry, entry.state) };
    case "update":
      return openUpdate(ctx, jobs, entry);
    default:
      ctx.replay.forgetValues(entry.connectionId); // left or hidden: counters stay, cached values go
      return entry;
  }
}

/** `msg` with every sealed value of other connections opened or refused. */
export function rewrite<M extends Inbound>(ctx: RewriteContext, msg: M, jobs: Jobs, self: string): M {
  if (msg.type === MessageType.BATCH) {
    return { ...msg, entries: msg.entries.map((entry) => rewriteEntry(ctx, jobs, entry, self)) };
  }
  if (msg.type === MessageType.SNAPSHOT_CHUNK) {
    const entries = msg.entries.map((peer) =>
      peer.connectionId === self
        ? peer
        : { ...peer, state: openState(ctx, jobs, peer.connectionId, peer, peer.state) },
    );
    return { ...msg, entries };
  }
  return msg;
}
