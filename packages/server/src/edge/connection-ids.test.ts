import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CONNECTION_ID_BYTES, createConnectionIds } from "./connection-ids.js";

describe("connection ids", () => {
  it("are 16 bytes of base64url, distinct across pool refills", () => {
    const next = createConnectionIds();
    const ids = Array.from({ length: 2000 }, next); // ~8 pools
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(id, "base64url")).toHaveLength(CONNECTION_ID_BYTES);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("draws fresh bytes for every id: no byte position is constant over many ids", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: CONNECTION_ID_BYTES - 1 }), (i) => {
        const next = createConnectionIds();
        const seen = new Set(Array.from({ length: 600 }, () => Buffer.from(next(), "base64url")[i]));
        expect(seen.size).toBeGreaterThan(100); // 600 uniform bytes: ~230 distinct values
      }),
      { numRuns: 16 },
    );
  });
});
