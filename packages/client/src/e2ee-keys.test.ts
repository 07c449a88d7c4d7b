import { describe, expect, it } from "vitest";
import { createKeyRing, FIXED_KEY_ID, isAesGcm256 } from "./e2ee-keys.js";

const aes = (length: number) =>
  globalThis.crypto.subtle.generateKey({ name: "AES-GCM", length }, false, ["encrypt", "decrypt"]);

describe("key ring", () => {
  it("gives a fixed key the id 0 and knows no other id", async () => {
    const key = await aes(256);
    const ring = createKeyRing(key);
    expect(await ring.current()).toEqual({ key, id: FIXED_KEY_ID });
    expect(await ring.byId(0)).toBe(key);
    expect(await ring.byId(1)).toBeUndefined();
    expect(ring.currentId).toBe(0);
  });

  it("asks the resolver once per sealing and once per unknown id, then caches by id", async () => {
    const v1 = await aes(256);
    const v2 = await aes(256);
    const calls: (number | undefined)[] = [];
    const ring = createKeyRing(async (id) => {
      calls.push(id);
      if (id === undefined || id === 2) return { key: v2, id: 2 };
      return id === 1 ? { key: v1, id: 1 } : undefined;
    });
    await ring.current();
    expect(await ring.byId(2)).toBe(v2); // cached by the sealing
    expect(await ring.byId(1)).toBe(v1);
    expect(await ring.byId(1)).toBe(v1);
    expect(await ring.byId(9)).toBeUndefined();
    expect(calls).toEqual([undefined, 1, 9]);
  });

  it("refuses what is not an AES-GCM-256 key or a valid id", async () => {
    expect(isAesGcm256(await aes(128))).toBe(false);
    expect(isAesGcm256(await aes(256))).toBe(true);
    const weak = await aes(128);
    await expect(createKeyRing(async () => ({ key: weak, id: 1 })).current()).rejects.toThrow(TypeError);
    const good = await aes(256);
    for (const id of [-1, 1.5, 2 ** 32, "1"]) {
      const ring = createKeyRing(async () => ({ key: good, id: id as number }));
      await expect(ring.current(), String(id)).rejects.toThrow(TypeError);
    }
    await expect(createKeyRing(async () => undefined).current()).rejects.toThrow(TypeError);
    // A resolver answering another id than asked is not trusted for it.
    expect(await createKeyRing(() => ({ key: good, id: 1 })).byId(2)).toBeUndefined();
  });
});
