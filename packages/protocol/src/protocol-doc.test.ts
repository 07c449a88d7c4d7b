// Keeps PROTOCOL.md honest: every hex example must decode to the JSON after it,
// and the error table must match the code's ERRORS.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { batchFrameFromEntries, decodeAny, decodeServerMessage, encode } from "./codec.js";
import { type AliasSource, encodeBatchEntryRev3, encodePeerRev3 } from "./compact-encode.js";
import { createEntryAliasTable } from "./entry-aliases.js";
import { ERRORS } from "./errors.js";
import { MessageType } from "./messages.js";
import { msgpack } from "./msgpack.js";
import { sameValue } from "./test-arbitraries.js";

const doc = readFileSync(new URL("../PROTOCOL.md", import.meta.url), "utf8");
const examples = [
  ...doc.matchAll(/```hex\n([\s\S]*?)```\s*\n\s*decodes to\s*\n\s*```json\n([\s\S]*?)```/g),
].map((m) => ({
  hex: m[1]!.replace(/\s+/g, ""),
  json: JSON.parse(m[2]!),
}));

// Revision-3 and -4 examples (§4 "Revision 3", "Revision 4"), decoded in document order with one
// socket's alias table; revision 4's are re-encoded with ratio moves.
const rev3Examples = [
  ...doc.matchAll(/```hex rev([34])\n([\s\S]*?)```\s*\n\s*decodes to\s*\n\s*```json\n([\s\S]*?)```/g),
].map((m) => ({ ratios: m[1] === "4", hex: m[2]!.replace(/\s+/g, ""), json: JSON.parse(m[3]!) }));

/** The aliases a revision-3 frame announces or names, read from its raw MsgPack: the edge's table for re-encoding. */
function aliasesIn(bytes: Uint8Array, known: Map<string, number>): AliasSource {
  const [frame] = msgpack().unpackMultiple(bytes) as [unknown[]];
  const list = frame[0] === MessageType.BATCH ? (frame[1] as unknown[][]) : (frame[2] as unknown[][]);
  for (const e of list) {
    if (frame[0] === MessageType.SNAPSHOT_CHUNK) known.set(e[0] as string, e[6] as number);
    else if (e[0] === 0) known.set(e[1] as string, e[7] as number);
  }
  return { announce: (cid) => known.get(cid) as number, lookup: (cid) => known.get(cid) };
}

describe("PROTOCOL.md", () => {
  it("decodes its revision-3 and -4 examples, in order, with one alias table, and re-encodes them to the same bytes", () => {
    expect(rev3Examples.map((e) => e.ratios)).toEqual([false, false, false, true]);
    const table = createEntryAliasTable();
    const known = new Map<string, number>();
    for (const e of rev3Examples) {
      const bytes = Uint8Array.from(Buffer.from(e.hex, "hex"));
      const decoded = decodeServerMessage(bytes, undefined, table);
      expect(sameValue(decoded, e.json)).toBe(true);
      const source = aliasesIn(bytes, known);
      let again: Uint8Array;
      if (decoded.type === MessageType.BATCH) {
        again = batchFrameFromEntries(decoded.entries.map((x) => encodeBatchEntryRev3(x, source, e.ratios)));
      } else if (decoded.type === MessageType.SNAPSHOT_CHUNK) {
        const prefix = encode({ ...decoded, entries: [] }).subarray(0, -1);
        const peers = decoded.entries.map((p) => encodePeerRev3(p, source.announce(p.connectionId, p.epoch)));
        again = Buffer.concat([prefix, batchFrameFromEntries(peers).subarray(2)]);
      } else throw new Error(`no revision-3 example of type ${decoded.type}`);
      expect(Buffer.from(again).toString("hex")).toBe(e.hex);
    }
  });

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
