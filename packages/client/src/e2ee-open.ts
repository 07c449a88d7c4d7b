// The receiving side of encrypted presence: turns BATCH and SNAPSHOT_CHUNK messages whose
// sealed values are envelopes into the same messages with clear values, before the replica
// (others-store.ts) sees them. Versions (epoch, clock) are untouched, so PROTOCOL.md §5's rules
// (gaps, resyncs, floors) work exactly as without encryption.
//
// Two phases, because WebCrypto is asynchronous but replay checks depend on order:
//   prepare — on arrival: decrypt every envelope of the message concurrently (pure work);
//   commit  — in arrival order (serial-queue.ts): replay checks, then the rewritten message.
// A value that is refused is not applied: the field is absent for that peer, and `onError`
// reports it. Nothing here throws into the app. Own entries pass through sealed: the room
// keeps its own presence in clear and compares its sealed wire state with the server's.
import {
  type BatchMessage,
  type ClientBatchEntry,
  type Json,
  MessageType,
  type OccupancyMessage,
  type PresenceData,
  type SnapshotChunkMessage,
  type SnapshotDoneMessage,
  setOwn,
  type UpdateEntry,
  validatePatch,
} from "@collabblocks/protocol";
import { openEnvelope, parseEnvelope } from "./e2ee-envelope.js";
import type { FieldPolicy } from "./e2ee-fields.js";
import type { KeyRing } from "./e2ee-keys.js";
import { createReplayGuard, type ReplayGuard } from "./e2ee-replay.js";
import type { DecryptError, DecryptErrorCode } from "./types.js";

export type Inbound = BatchMessage | SnapshotChunkMessage | SnapshotDoneMessage | OccupancyMessage;

type Opened = { readonly value: Json } | { readonly code: DecryptErrorCode; readonly message: string };

export interface OpenerOptions {
  readonly roomId: string;
  readonly policy: FieldPolicy;
  readonly keys: KeyRing;
  readonly selfId: () => string;
  readonly onError: (error: DecryptError) => void;
  readonly replay?: ReplayGuard;
}

export interface Opener {
  /** Starts decrypting `msg`; the returned function, called in arrival order, gives the clear message. */
  prepare<M extends Inbound>(msg: M): (() => M) | Promise<() => M>;
}

const jobKey = (cid: string, field: string, envelope: string) => `${cid}\u0000${field}\u0000${envelope}`;

export function createOpener(options: OpenerOptions): Opener {
  const { roomId, policy, keys, onError } = options;
  const replay = options.replay ?? createReplayGuard();

  async function decrypt(cid: string, field: string, envelope: string): Promise<Opened> {
    const env = parseEnvelope(envelope);
    if (env === null) return { code: "MALFORMED_ENVELOPE", message: "not an e1 envelope" };
    let key: CryptoKey | undefined;
    try {
      key = await keys.byId(env.keyId);
    } catch (err) {
      return { code: "UNKNOWN_KEY", message: `key "${env.keyId}": the resolver failed: ${String(err)}` };
    }
    if (key === undefined) return { code: "UNKNOWN_KEY", message: `no key with id "${env.keyId}"` };
    let text: string;
    try {
      const ctx = { roomId, connectionId: cid, epoch: env.epoch, field, counter: env.counter };
      text = await openEnvelope(key, env, ctx);
    } catch {
      // AES-GCM cannot tell these apart, by design: one code for all of them.
      return { code: "DECRYPT_FAILED", message: "wrong key, or the value was changed, moved or swapped" };
    }
    try {
      const value = JSON.parse(text) as Json;
      const set: Record<string, Json> = {};
      setOwn(set, field, value);
      validatePatch({ set, del: [] }); // a peer holding the key is bound by PROTOCOL.md §6 too
      return { value };
    } catch (err) {
      return { code: "INVALID_VALUE", message: err instanceof Error ? err.message : "not JSON" };
    }
  }

  /** Calls `visit` for every sealed value of other connections in `msg`. */
  function eachSealed(msg: Inbound, visit: (cid: string, field: string, value: Json) => void): void {
    const self = options.selfId();
    const visitState = (cid: string, state: PresenceData) => {
      if (cid === self) return;
      for (const key of Object.keys(state)) {
        const field = policy.fieldOf(key);
        if (field !== null) visit(cid, field, state[key] as Json);
      }
    };
    if (msg.type === MessageType.SNAPSHOT_CHUNK)
      for (const peer of msg.entries) visitState(peer.connectionId, peer.state);
    if (msg.type !== MessageType.BATCH) return;
    for (const entry of msg.entries) {
      if (entry.kind === "enter") visitState(entry.connectionId, entry.state);
      if (entry.kind === "update") visitState(entry.connectionId, entry.set);
    }
  }

  function prepare<M extends Inbound>(msg: M): (() => M) | Promise<() => M> {
    const jobs = new Map<string, Opened | Promise<Opened>>();
    const pending: Promise<unknown>[] = [];
    eachSealed(msg, (cid, field, value) => {
      if (typeof value !== "string") return; // refused at commit
      const key = jobKey(cid, field, value);
      if (jobs.has(key)) return;
      const cached = replay.cached(cid, field, value);
      if (cached !== undefined) {
        jobs.set(key, { value: cached });
        return;
      }
      const job = decrypt(cid, field, value);
      pending.push(job.then((opened) => jobs.set(key, opened)));
      jobs.set(key, job);
    });
    const commit = () => rewrite(msg, jobs as Map<string, Opened>);
    return pending.length === 0 ? commit : Promise.all(pending).then(() => commit);
  }

  function report(cid: string, field: string, code: DecryptErrorCode, message: string): undefined {
    onError({ code, connectionId: cid, field, message });
    return undefined;
  }

  /** The clear value of one sealed value, or undefined (reported) when it is refused. */
  function openValue(
    jobs: Map<string, Opened>,
    cid: string,
    field: string,
    epoch: number,
    value: Json,
  ): Json | undefined {
    const env = typeof value === "string" ? parseEnvelope(value) : null;
    if (env === null) return report(cid, field, "MALFORMED_ENVELOPE", "not an e1 envelope");
    if (env.epoch > epoch) {
      return report(cid, field, "REPLAYED", `sealed in epoch ${env.epoch}, carried by epoch ${epoch}`);
    }
    if (replay.verdict(cid, field, env.epoch, env.counter) === "replayed") {
      return report(cid, field, "REPLAYED", `counter ${env.counter} of epoch ${env.epoch} is not newer`);
    }
    const opened = jobs.get(jobKey(cid, field, value as string));
    if (opened === undefined)
      return report(cid, field, "DECRYPT_FAILED", "not prepared (own connection changed)");
    if ("code" in opened) return report(cid, field, opened.code, opened.message);
    replay.accept(cid, field, env.epoch, env.counter, value as string, opened.value);
    return opened.value;
  }

  function openState(
    jobs: Map<string, Opened>,
    cid: string,
    epoch: number,
    state: PresenceData,
  ): PresenceData {
    const out: Record<string, Json> = {};
    const present = new Set<string>();
    for (const key of Object.keys(state)) {
      const field = policy.fieldOf(key);
      if (field !== null) present.add(field);
      else if (policy.isSealed(key)) report(cid, key, "NOT_SEALED", "a clear value for a sealed field");
      else setOwn(out, key, state[key]);
    }
    replay.fullState(cid, present);
    for (const field of present) {
      const value = openValue(jobs, cid, field, epoch, state[policy.wireKey(field)] as Json);
      if (value !== undefined) setOwn(out, field, value);
      else delete out[field]; // a refused sealed value also hides a clear twin
    }
    return out;
  }

  function openUpdate(jobs: Map<string, Opened>, entry: UpdateEntry): UpdateEntry {
    const cid = entry.connectionId;
    const set: Record<string, Json> = {};
    const del = new Set<string>();
    const deletedSealed: string[] = [];
    for (const key of entry.del) {
      const field = policy.fieldOf(key);
      del.add(field ?? key);
      if (field !== null) deletedSealed.push(field);
    }
    replay.deleted(cid, deletedSealed);
    const sealed: string[] = [];
    for (const key of Object.keys(entry.set)) {
      const field = policy.fieldOf(key);
      if (field !== null) sealed.push(field);
      else if (!policy.isSealed(key)) setOwn(set, key, entry.set[key]);
      else {
        report(cid, key, "NOT_SEALED", "a clear value for a sealed field");
        del.add(key);
      }
    }
    for (const field of sealed) {
      const value = openValue(jobs, cid, field, entry.epoch, entry.set[policy.wireKey(field)] as Json);
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

  function rewriteEntry(jobs: Map<string, Opened>, entry: ClientBatchEntry, self: string): ClientBatchEntry {
    if (entry.connectionId === self) return entry;
    switch (entry.kind) {
      case "enter":
        return { ...entry, state: openState(jobs, entry.connectionId, entry.epoch, entry.state) };
      case "update":
        return openUpdate(jobs, entry);
      default:
        replay.forgetValues(entry.connectionId); // left or hidden: counters stay, cached values go
        return entry;
    }
  }

  function rewrite<M extends Inbound>(msg: M, jobs: Map<string, Opened>): M {
    const self = options.selfId();
    if (msg.type === MessageType.BATCH) {
      return { ...msg, entries: msg.entries.map((entry) => rewriteEntry(jobs, entry, self)) };
    }
    if (msg.type === MessageType.SNAPSHOT_CHUNK) {
      const entries = msg.entries.map((peer) =>
        peer.connectionId === self
          ? peer
          : { ...peer, state: openState(jobs, peer.connectionId, peer.epoch, peer.state) },
      );
      return { ...msg, entries };
    }
    return msg;
  }

  return { prepare };
}
