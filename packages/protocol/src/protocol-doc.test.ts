// Keeps PROTOCOL.md honest: every hex example must decode to the JSON after it,
// and the error table must match the code's ERRORS.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeAny, encode } from "./codec.js";
import { ERRORS } from "./errors.js";
import { sameValue } from "./test-arbitraries.js";

const doc = readFileSync(new URL("../PROTOCOL.md", import.meta.url), "utf8");
const examples = [
  ...doc.matchAll(/```hex\n([\s\S]*?)```\s*\n\s*decodes to\s*\n\s*```json\n([\s\S]*?)```/g),
].map((m) => ({
  hex: m[1]!.replace(/\s+/g, ""),
  json: JSON.parse(m[2]!),
}));

describe("PROTOCOL.md", () => {
  it("has an example for every message type", () => {
    const types = new Set(examples.map((e) => e.json.type));
    expect([...types].sort((a, b) => a - b)).toEqual([
      1, 2, 10, 11, 20, 100, 101, 130, 131, 132, 200, 201, 202, 300,
    ]);
  });

  it.each(examples.map((e) => [e.json.type, e] as const))(
    "decodes the example of type %i to the documented value",
    (_t, e) => {
      const bytes = Uint8Array.from(Buffer.from(e.hex, "hex"));
      const decoded = decodeAny(bytes);
      expect(sameValue(decoded, e.json)).toBe(true);
      // …and the codec produces exactly the documented bytes.
      expect(Buffer.from(encode(decoded)).toString("hex")).toBe(e.hex);
    },
  );

  it("lists every error code with its fatal flag and close code", () => {
    for (const [code, spec] of Object.entries(ERRORS)) {
      const row = doc.split("\n").find((line) => new RegExp(`^\\| \`${code}\` +\\|`).test(line));
      expect(row, code).toBeDefined();
      const cells = row!.split("|").map((c) => c.trim());
      expect(cells[2], code).toBe(spec.fatal ? "yes" : "no");
      expect(cells[3], code).toBe(spec.closeCode === undefined ? "—" : String(spec.closeCode));
    }
  });
});
