// The sending side of encrypted presence: turns a clear patch into its wire form.
// Counters are taken synchronously, in call order, so a later patch always carries higher
// counters than an earlier one even if its encryption finishes first; the room applies the
// sealed patches through a sequential queue (serial-queue.ts), so they also leave in order.
import { type Json, type Patch, setOwn } from "@collabblocks/protocol";
import { sealValue } from "./e2ee-envelope.js";
import type { FieldPolicy, SealSizing } from "./e2ee-fields.js";
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
  /** The wire form of `patch`; synchronous when it touches no sealed field. */
  seal(patch: Patch): Patch | Promise<Patch>;
  /** For size estimates of the next envelopes. */
  sizing(): SealSizing;
}

export function createSealer(options: SealerOptions): Sealer {
  const { roomId, policy, keys } = options;
  // One counter per room session (= per connectionId), never reset: receivers keep the last
  // accepted (epoch, counter) per sender and field and drop anything not newer.
  let counter = 0;

  return {
    seal(patch) {
      const del = patch.del.map((field) => (policy.isSealed(field) ? policy.wireKey(field) : field));
      const clear: Record<string, Json> = {};
      const jobs: { field: string; counter: number; value: Json }[] = [];
      for (const field of Object.keys(patch.set)) {
        const value = patch.set[field] as Json;
        if (policy.isSealed(field)) jobs.push({ field, counter: ++counter, value });
        else setOwn(clear, field, value);
      }
      if (jobs.length === 0) return { set: clear, del };
      const connectionId = options.connectionId();
      const epoch = options.epoch();
      return (async () => {
        const { key, id } = await keys.current();
        const envelopes = await Promise.all(
          jobs.map((job) =>
            sealValue(
              key,
              id,
              { roomId, connectionId, epoch, field: job.field, counter: job.counter },
              job.value,
            ),
          ),
        );
        const set = clear;
        for (const [i, job] of jobs.entries()) setOwn(set, policy.wireKey(job.field), envelopes[i] as string);
        return { set, del };
      })();
    },
    sizing() {
      return { keyIdLength: keys.currentIdLength, epoch: options.epoch(), counter };
    },
  };
}
