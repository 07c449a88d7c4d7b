import { encodedStateSize, type Patch, type PresenceData } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { createFieldPolicy, sealedPart, sealedStateSize } from "./e2ee-fields.js";
import { createKeyRing } from "./e2ee-keys.js";
import { createSealer } from "./e2ee-seal.js";

const newKey = () =>
  globalThis.crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);

describe("field policy", () => {
  it("seals every field but the position field by default, or exactly the listed ones", () => {
    const byDefault = createFieldPolicy(undefined, "pos");
    expect(["pos", "cursor", "status", "meta"].map(byDefault.isSealed)).toEqual([false, true, true, true]);
    const listed = createFieldPolicy(["meta"], "cursor");
    expect(["cursor", "status", "meta"].map(listed.isSealed)).toEqual([false, false, true]);
    expect(sealedPart({ cursor: null, meta: {}, status: "a" }, listed)).toEqual({ meta: {} });
  });

  it('refuses the app\'s own "~" key, which holds sealed presence', () => {
    const policy = createFieldPolicy(undefined, "cursor");
    expect(policy.problem({ "~": "x" })).toMatch(/reserved/);
    expect(policy.problem({ cursor: null, "~x": 1 })).toBeNull();
    expect(policy.isSealed("~")).toBe(false);
  });
});

/** The sealed samples of docs/E2EE.md#limits; `cursor` is sealed only where the name says so. */
export const SIZE_SAMPLES: Record<string, PresenceData> = {
  "sealed cursor": { cursor: { x: 523 / 1280, y: 0.24479166666666666 } },
  "status editing": { status: "editing" },
  "cursor (clear) + status + avatar": {
    cursor: { x: 523 / 1280, y: 0.24479166666666666 },
    status: "editing",
    avatar: "https://avatars.example.com/u/1234567.png",
  },
  "meta of 200 B": { meta: { selection: "x".repeat(184) } },
};

async function measure(name: string, counter: number) {
  const state = SIZE_SAMPLES[name] as PresenceData;
  const policy = createFieldPolicy(name === "sealed cursor" ? ["cursor"] : undefined, "cursor");
  const sealer = createSealer({
    roomId: "doc-1",
    policy,
    keys: createKeyRing(await newKey()),
    connectionId: () => "KaliceAAAAAAAAAAAAAAAAA",
    epoch: () => 1,
  });
  let patch: Patch = { set: {}, del: [] };
  for (let i = 0; i < counter; i++) patch = await sealer.seal({ set: state, del: [] }, state);
  const clear = encodedStateSize(state);
  const sealed = encodedStateSize(patch.set);
  return { clear, sealed, estimate: sealedStateSize(state, policy, sealer.sizing()) };
}

describe("sealed sizes (docs/E2EE.md#limits)", () => {
  it("add at most 40 bytes to an update (36 + counter bytes), estimated at or a few bytes above", async () => {
    const rows: string[] = [];
    for (const name of Object.keys(SIZE_SAMPLES)) {
      const { clear, sealed, estimate } = await measure(name, 1);
      expect(estimate).toBeGreaterThanOrEqual(sealed);
      expect(estimate - sealed).toBeLessThanOrEqual(8);
      expect(sealed - clear, name).toBeLessThanOrEqual(40);
      rows.push(`${name}: clear ${clear} B, sealed ${sealed} B (+${sealed - clear})`);
    }
    // The counter is a varint: 2 bytes from the 128th sealing, 3 from the 16 384th.
    const later = await measure("sealed cursor", 200);
    expect(later.sealed - later.clear).toBe(38);
    console.log(`encoded presence state, clear vs sealed (key id 0, counter 1):\n  ${rows.join("\n  ")}`);
  });

  it("fits about 2 KB of sealed plaintext in the 2 KB state limit", () => {
    const policy = createFieldPolicy(undefined, "cursor");
    const sizing = { keyId: 0, epoch: 1, counter: 1 };
    let n = 0;
    while (sealedStateSize({ note: "x".repeat(n + 1) }, policy, sizing) <= 2048) n++;
    console.log(`largest single sealed string value under the 2048 B state limit: ${n} characters`);
    expect(n).toBeGreaterThan(1950);
    expect(n).toBeLessThan(2048);
  });
});
