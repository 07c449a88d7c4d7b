// The sending side of encrypted presence: turns a clear patch into its wire form. A patch that
// touches a sealed field re-seals the whole sealed part of the new state into one sealed state
// under "~" (it replaces the last one, docs/E2EE.md#how-a-state-is-sealed); a patch that
// touches none is sent as it is, synchronously.
// Counters are taken synchronously, in call order, so a later patch always carries a higher
// counter than an earlier one even if its encryption finishes first; the room applies the
// sealed patches through a sequential queue (serial-queue.ts), so they also leave in order.
import {
  bytesToByteString,
  type Json,
  type Patch,
  type PresenceData,
  SEALED_KEY,
  setOwn,
} from "@collabblocks/protocol";
import { sealState } from "./e2ee-envelope.js";
import { type FieldPolicy, type SealSizing, sealedPart } from "./e2ee-fields.js";
import type { KeyRing } from "./e2ee-keys.js";

export interface SealerOptions {
  readonly roomId: string;
  readonly policy: FieldPolicy;
  readonly keys: KeyRing;
  /** The sender's connectionId and current epoch (0 before the first welcome). */
  readonly connectionId: () => string;
  readonly epoch: () => number;
}

export interface Sealer {
  /** The wire form of `patch`, which made the clear presence `state`; synchronous when it touches no sealed field. */
  seal(patch: Patch, state: PresenceData): Patch | Promise<Patch>;
  /** For size estimates of the next sealed states. */
  sizing(): SealSizing;
}

export function createSealer(options: SealerOptions): Sealer {
  const { roomId, policy, keys } = options;
  // One counter per room session (= per connectionId), never reset: receivers keep the last
  // accepted (epoch, counter) per sender and drop anything not newer.
  let counter = 0;

  return {
    seal(patch, state) {
      let touched = false;
      const del: string[] = [];
      for (const field of patch.del) {
        if (policy.isSealed(field)) touched = true;
        else del.push(field);
      }
      const set: Record<string, Json> = {};
      for (const field of Object.keys(patch.set)) {
        if (policy.isSealed(field)) touched = true;
        else setOwn(set, field, patch.set[field]);
      }
      if (!touched) return { set, del };
      const sealed = sealedPart(state, policy);
      if (Object.keys(sealed).length === 0) return { set, del: [...del, SEALED_KEY] };
      const header = { keyId: 0, epoch: options.epoch(), counter: ++counter };
      const place = { roomId, connectionId: options.connectionId() };
      return (async () => {
        const { key, id } = await keys.current();
        const bytes = await sealState(key, place, { ...header, keyId: id }, sealed);
        setOwn(set, SEALED_KEY, bytesToByteString(bytes));
        return { set, del };
      })();
    },
    sizing() {
      return { keyId: keys.currentId, epoch: options.epoch(), counter };
    },
  };
}
