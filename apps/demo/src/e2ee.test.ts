import { describe, expect, it } from "vitest";
import { demoEncryption, newKeyFragment, readKeyFragment } from "./e2ee.js";

describe("the demo's room key fragment", () => {
  it("round-trips a fresh key through #key= and makes the room's encryption from it", async () => {
    const fragment = newKeyFragment();
    expect(fragment).toMatch(/^#key=[A-Za-z0-9_-]{43}$/);
    const text = readKeyFragment(fragment);
    expect(text).toBe(fragment.slice("#key=".length));
    expect(typeof (await demoEncryption(text!, false)).createRoomCrypto).toBe("function");
  });

  it("ignores a missing or malformed key", () => {
    expect(readKeyFragment("")).toBeUndefined();
    expect(readKeyFragment("#key=short")).toBeUndefined();
    expect(readKeyFragment("#other=1")).toBeUndefined();
  });
});
