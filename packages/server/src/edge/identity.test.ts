import { CONNECTION_ID_PATTERN } from "@collabblocks/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deriveConnectionId, isDerivedConnectionId } from "./identity.js";

const key = fc.stringMatching(/^[A-Za-z0-9_-]{22,64}$/);

describe("derived connection ids", () => {
  it("are stable per (user, key), valid connection ids of the derived form", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 64 }), key, (sub, k) => {
        const id = deriveConnectionId(sub, k);
        expect(id).toBe(deriveConnectionId(sub, k));
        expect(CONNECTION_ID_PATTERN.test(id)).toBe(true);
        expect(isDerivedConnectionId(id)).toBe(true);
      }),
    );
  });

  it("differ between users holding the same key, and between keys of one user", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), key, key, (a, b, k1, k2) => {
        if (a !== b) expect(deriveConnectionId(a, k1)).not.toBe(deriveConnectionId(b, k1));
        if (k1 !== k2) expect(deriveConnectionId(a, k1)).not.toBe(deriveConnectionId(a, k2));
      }),
    );
    // Field separators cannot be shifted between sub and key.
    expect(deriveConnectionId("ab", `c${"x".repeat(22)}`)).not.toBe(
      deriveConnectionId("a", `bc${"x".repeat(21)}`),
    );
  });

  it("SDK-style random ids (22 characters) are never of the derived form", () => {
    expect(isDerivedConnectionId("K".padEnd(22, "a"))).toBe(false);
    expect(isDerivedConnectionId("K".padEnd(24, "a"))).toBe(true);
  });
});
