// The receiving side of encrypted presence: turns BATCH and SNAPSHOT_CHUNK messages whose peers
// carry sealed states into the same messages with clear fields, before the replica
// (others-store.ts) sees them.
//
// Two phases, because WebCrypto is asynchronous but replay checks depend on order:
//   prepare — on arrival: decrypt every sealed state of the message concurrently (pure work);
//   commit  — in arrival order (serial-queue.ts): replay checks, then the rewritten message
//             (sealed-inbound.ts, with this file's opener).
// A refused sealed state is not applied: the peer's sealed fields are absent, and `onError`
// reports it; under a key this client does not have, they show as `Locked` (locked.ts).
// Nothing here throws into the app.
import {
  byteStringToBytes,
  compareVersions,
  MessageType,
  type PresenceData,
  SEALED_KEY,
  type Version,
} from "@collabblocks/protocol";
import { InvalidSealedValue, openState } from "./e2ee-envelope.js";
import type { FieldPolicy } from "./e2ee-fields.js";
import type { KeyRing } from "./e2ee-keys.js";
import { createReplayGuard, type ReplayGuard } from "./e2ee-replay.js";
import type { ParsedSealed } from "./sealed-header.js";
import {
  createSealedInbound,
  type Inbound,
  lockedOpener,
  MAX_TRACKED_SENDERS,
  parseSealed,
  type SealedOpener,
} from "./sealed-inbound.js";
import type { DecryptError, DecryptErrorCode } from "./types.js";

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

/** The outcome of decrypting one sealed state. */
type Opened =
  | { readonly state: PresenceData }
  | { readonly code: DecryptErrorCode; readonly message: string };

const jobKey = (cid: string, text: string) => `${cid}\u0000${text}`;

export function createOpener(options: OpenerOptions): Opener {
  const { roomId, policy, keys } = options;
  const replay = options.replay ?? createReplayGuard();
  let jobs: ReadonlyMap<string, Opened> = new Map();
  const lockedReported = new Set<string>();

  async function decrypt(cid: string, header: ParsedSealed, text: string): Promise<Opened> {
    let key: CryptoKey | undefined;
    try {
      key = await keys.byId(header.keyId);
    } catch (err) {
      return { code: "UNKNOWN_KEY", message: `key ${header.keyId}: the resolver failed: ${String(err)}` };
    }
    if (key === undefined) return { code: "UNKNOWN_KEY", message: `no key with id ${header.keyId}` };
    try {
      const bytes = byteStringToBytes(text) as Uint8Array<ArrayBuffer>;
      return { state: await openState(key, { roomId, connectionId: cid }, header, bytes) };
    } catch (err) {
      if (err instanceof InvalidSealedValue) return { code: "INVALID_VALUE", message: err.message };
      // AES-GCM cannot tell these apart, by design: one code for all of them.
      return { code: "DECRYPT_FAILED", message: "wrong key, or the value was changed, moved or replayed" };
    }
  }

  function report(cid: string, fields: readonly string[], code: DecryptErrorCode, message: string): null {
    options.onError({ code, connectionId: cid, fields, message });
    return null;
  }

  const opener: SealedOpener = {
    checksClear: true,
    open(cid, header, text, at: Version) {
      if (header === null) return report(cid, [], "MALFORMED_ENVELOPE", "not a version-2 sealed state");
      const { fields } = header;
      if (header.epoch > at.epoch) {
        return report(
          cid,
          fields,
          "REPLAYED",
          `sealed in epoch ${header.epoch}, carried by epoch ${at.epoch}`,
        );
      }
      if (replay.verdict(cid, header.epoch, header.counter) === "replayed") {
        const last = replay.acceptedAt(cid);
        // An entry not newer than the one that carried the accepted state is a stale delivery
        // (duplicate or reordered) that the replica drops anyway (PROTOCOL.md §5): no event.
        if (last !== undefined && compareVersions(at, last) <= 0) return null;
        return report(
          cid,
          fields,
          "REPLAYED",
          `counter ${header.counter} of epoch ${header.epoch} is not newer`,
        );
      }
      const opened = jobs.get(jobKey(cid, text));
      if (opened === undefined) return report(cid, fields, "DECRYPT_FAILED", "not prepared (own id changed)");
      if ("code" in opened && opened.code === "UNKNOWN_KEY") {
        // Without the key the fields are locked, not gone: the app can say so (locked.ts).
        // Reported once per sender and key id, not at every cursor move.
        const seen = `${cid}\u0000${header.keyId}`;
        if (!lockedReported.has(seen)) report(cid, fields, opened.code, opened.message);
        lockedReported.add(seen);
        if (lockedReported.size > MAX_TRACKED_SENDERS)
          lockedReported.delete(lockedReported.values().next().value as string);
        return lockedOpener.open(cid, header, text, at);
      }
      if ("code" in opened) return report(cid, fields, opened.code, opened.message);
      replay.accept(cid, { epoch: header.epoch, counter: header.counter, text }, opened.state, at);
      return opened.state;
    },
    refusesClear(cid, key) {
      if (!policy.isSealed(key)) return false;
      report(cid, [key], "NOT_SEALED", "a clear value for a sealed field");
      return true;
    },
    removed: (cid, at) => replay.removed(cid, at),
    forget: (cid) => replay.forgetValues(cid),
  };
  const inbound = createSealedInbound(opener, options.selfId);

  /** Calls `visit` for every sealed state of other connections in `msg`. */
  function eachSealed(msg: Inbound, visit: (cid: string, state: PresenceData) => void): void {
    const self = options.selfId();
    const visitState = (cid: string, state: PresenceData) => {
      if (cid !== self && Object.hasOwn(state, SEALED_KEY)) visit(cid, state);
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
    const mine = new Map<string, Opened | Promise<Opened>>();
    const pending: Promise<unknown>[] = [];
    eachSealed(msg, (cid, state) => {
      const parsed = parseSealed(state[SEALED_KEY]);
      if (parsed?.header == null) return; // refused at commit
      const key = jobKey(cid, parsed.text);
      if (mine.has(key)) return;
      const cached = replay.cached(cid, parsed.text);
      if (cached !== undefined) {
        mine.set(key, { state: cached });
        return;
      }
      const job = decrypt(cid, parsed.header, parsed.text);
      pending.push(job.then((opened) => mine.set(key, opened)));
      mine.set(key, job);
    });
    const commit = () => {
      jobs = mine as Map<string, Opened>;
      try {
        return inbound.rewrite(msg);
      } finally {
        jobs = new Map();
      }
    };
    return pending.length === 0 ? commit : Promise.all(pending).then(() => commit);
  }

  return { prepare };
}
