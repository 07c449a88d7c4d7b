import { describe, expect, it } from "vitest";
import { COLORS, createIdentity, loadIdentity, MAX_NAME_LENGTH } from "./identity.js";

function memoryStorage(initial: Record<string, string> = {}) {
  const data = new Map(Object.entries(initial));
  return {
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => data.set(k, v),
    data,
  };
}

describe("identity", () => {
  it("makes a two-word name, a palette colour and a user id from the random source", () => {
    const identity = createIdentity(() => 0);
    expect(identity).toEqual({ userId: "amber-otter-0000", name: "Amber Otter", color: COLORS[0] });
    const last = createIdentity(() => 0.999999);
    expect(last.name).toBe("Witty Raven");
    expect(last.color).toBe(COLORS.at(-1));
  });

  it("keeps the identity for the tab's lifetime through its storage", () => {
    const storage = memoryStorage();
    const first = loadIdentity(storage, new URLSearchParams(), () => 0.3);
    const again = loadIdentity(storage, new URLSearchParams(), () => 0.7);
    expect(again).toEqual(first);
  });

  it("replaces unreadable stored data with a fresh identity", () => {
    const storage = memoryStorage({ "collabblocks-demo-identity": "{not json" });
    expect(loadIdentity(storage, new URLSearchParams(), () => 0).name).toBe("Amber Otter");
  });

  it("works without storage", () => {
    expect(loadIdentity(undefined, new URLSearchParams(), () => 0).userId).toBe("amber-otter-0000");
  });

  it("lets ?name= override the display name, trimmed and bounded", () => {
    const long = "x".repeat(100);
    expect(loadIdentity(undefined, new URLSearchParams({ name: "  Alice " })).name).toBe("Alice");
    expect(loadIdentity(undefined, new URLSearchParams({ name: long })).name).toHaveLength(MAX_NAME_LENGTH);
  });
});
