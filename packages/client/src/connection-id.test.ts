import { CONNECTION_ID_PATTERN } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { base64url, createConnectionId } from "./connection-id.js";

describe("createConnectionId", () => {
  it("makes 128 random bits as 22 base64url characters the server accepts", () => {
    const id = createConnectionId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(CONNECTION_ID_PATTERN.test(id)).toBe(true);
  });

  it("never repeats across many draws", () => {
    const ids = new Set(Array.from({ length: 2000 }, createConnectionId));
    expect(ids.size).toBe(2000);
  });

  it("encodes base64url exactly like Node's Buffer for every length", () => {
    for (let n = 0; n < 40; n++) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 37 + n * 11) & 255);
      expect(base64url(bytes)).toBe(Buffer.from(bytes).toString("base64url"));
    }
  });
});
