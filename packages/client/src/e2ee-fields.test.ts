import { encodedStateSize, type Patch, type PresenceData } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { createFieldPolicy, sealedStateSize } from "./e2ee-fields.js";
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
    expect(listed.wireKey("meta")).toBe("~meta");
    expect(listed.fieldOf("~meta")).toBe("meta");
    expect(listed.fieldOf("meta")).toBeNull();
  });

  it("refuses a clear key with the sealed prefix and a sealed key too long once prefixed", () => {
    const policy = createFieldPolicy(["k".repeat(128)], "cursor");
    expect(policy.problem({ "~x": 1 })).toMatch(/starts with "~"/);
    expect(policy.problem({ ["k".repeat(128)]: 1 })).toMatch(/longer than 127/);
    expect(policy.problem({ cursor: null, other: 1 })).toBeNull();
  });
});

describe("sealed sizes (docs/E2EE.md#limits)", () => {
  const samples: Record<string, PresenceData> = {
    "cursor only (clear)": { cursor: { x: 0.40859375, y: 0.24479166666666666 } },
    "status editing": { status: "editing" },
    "cursor + status + avatar": {
      cursor: { x: 0.40859375, y: 0.24479166666666666 },
      status: "editing",
      avatar: "https://avatars.example.com/u/1234567.png",
    },
    "meta of 200 B": { meta: { selection: "x".repeat(184) } },
    "sealed cursor": { cursor: { x: 0.40859375, y: 0.24479166666666666 } },
  };

  it("estimates at or a few bytes above the real sealed size, and logs the overhead", async () => {
    const key = await newKey();
    const rows: string[] = [];
    for (const [name, state] of Object.entries(samples)) {
      const policy = createFieldPolicy(name === "sealed cursor" ? ["cursor"] : undefined, "cursor");
      const sealer = createSealer({
        roomId: "doc-1",
        policy,
        keys: createKeyRing(key),
        connectionId: () => "aliceAAAAAAAAAAAAAAAAA",
        epoch: () => 1,
      });
      const wire = ((await sealer.seal({ set: state, del: [] })) as Patch).set;
      const clear = encodedStateSize(state);
      const sealed = encodedStateSize(wire);
      const estimate = sealedStateSize(state, policy, sealer.sizing());
      expect(estimate).toBeGreaterThanOrEqual(sealed);
      expect(estimate - sealed).toBeLessThanOrEqual(6 * Object.keys(state).length);
      rows.push(`${name}: clear ${clear} B, sealed ${sealed} B (+${sealed - clear})`);
    }
    console.log(`encoded presence state, clear vs sealed (key id "0"):\n  ${rows.join("\n  ")}`);
  });

  it("fits about 1.5 KB of sealed plaintext in the 2 KB state limit", async () => {
    const policy = createFieldPolicy(undefined, "cursor");
    const sizing = { keyIdLength: 1, epoch: 1, counter: 1 };
    let n = 0;
    while (sealedStateSize({ note: "x".repeat(n + 1) }, policy, sizing) <= 2048) n++;
    console.log(
      `largest single sealed string value under the 2048 B state limit: ${n} characters (${n + 2} B of JSON)`,
    );
    expect(n).toBeGreaterThan(1400);
    expect(n).toBeLessThan(1600);
  });
});
