// Helpers for encrypted-presence room tests over the fake network (room-crypto*.test.ts).
import {
  applyPatch,
  MessageType,
  type Patch,
  type PresenceData,
  SEALED_KEY,
  type UpdatePresenceMessage,
} from "@collabblocks/protocol";
import { createFieldPolicy } from "../e2ee-fields.js";
import { createKeyRing, type PresenceKeySource } from "../e2ee-keys.js";
import { createSealer } from "../e2ee-seal.js";
import { ALICE } from "./fake-server.js";
import type { enterTestRoom } from "./room-harness.js";

export const newKey = () =>
  globalThis.crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);

/** Alice's side: seals patches as her SDK would (room "room-1", the harness's room). */
export function alice(key: PresenceKeySource, epoch = 1) {
  const policy = createFieldPolicy(undefined, "cursor");
  const sealer = createSealer({
    roomId: "room-1",
    policy,
    keys: createKeyRing(key),
    connectionId: () => ALICE,
    epoch: () => epoch,
  });
  let state: PresenceData = {};
  return (set: PresenceData, del: string[] = []) => {
    state = applyPatch(state, { set, del });
    return sealer.seal({ set, del }, state) as Promise<Patch>;
  };
}

/** The sealed state (a byte string) of a wire patch or state. */
export const sealedOf = (state: PresenceData) => state[SEALED_KEY] as string;

export type Harness = Awaited<ReturnType<typeof enterTestRoom>>;

/** Lets real WebCrypto promises and the room's fake timers run until `done` holds. */
export async function until(t: Harness, what: string, done: () => boolean): Promise<void> {
  // WebCrypto settles on libuv's thread pool, in real time: poll for up to 5 s of it, moving the
  // fake clock 16 ms (one throttle period) every 20 polls so the outbox can send.
  const start = performance.now();
  for (let i = 1; performance.now() - start < 5000; i++) {
    if (done()) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
    await t.clock.settle();
    if (i % 20 === 0) await t.clock.advance(16);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const updates = (t: Harness): UpdatePresenceMessage[] =>
  t.net.last().sentOfType(MessageType.UPDATE_PRESENCE);
