// The receiving side of encrypted presence: turns BATCH and SNAPSHOT_CHUNK messages whose
// sealed values are envelopes into the same messages with clear values, before the replica
// (others-store.ts) sees them. Versions (epoch, clock) are untouched, so PROTOCOL.md §5's rules
// (gaps, resyncs, floors) work exactly as without encryption.
//
// Two phases, because WebCrypto is asynchronous but replay checks depend on order:
//   prepare — on arrival: decrypt every envelope of the message concurrently (pure work);
//   commit  — in arrival order (serial-queue.ts): replay checks, then the rewritten message
//             (e2ee-rewrite.ts).
// A value that is refused is not applied: the field is absent for that peer, and `onError`
// reports it. Nothing here throws into the app. Own entries pass through sealed: the room
// keeps its own presence in clear and compares its sealed wire state with the server's.
import { type Json, MessageType, type PresenceData, setOwn, validatePatch } from "@collabblocks/protocol";
import { openEnvelope, parseEnvelope } from "./e2ee-envelope.js";
import type { FieldPolicy } from "./e2ee-fields.js";
import type { KeyRing } from "./e2ee-keys.js";
import { createReplayGuard, type ReplayGuard } from "./e2ee-replay.js";
import { type Inbound, jobKey, type Opened, type RewriteContext, rewrite } from "./e2ee-rewrite.js";
import type { DecryptError } from "./types.js";

export type { Inbound };

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

export function createOpener(options: OpenerOptions): Opener {
  const { roomId, policy, keys } = options;
  const replay = options.replay ?? createReplayGuard();
  const context: RewriteContext = { policy, replay, onError: options.onError };

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
    const commit = () => rewrite(context, msg, jobs as Map<string, Opened>, options.selfId());
    return pending.length === 0 ? commit : Promise.all(pending).then(() => commit);
  }

  return { prepare };
}
