// Revision 3 (PROTOCOL.md §4 "Revision 3: aliases and compact moves"): whatever a room
// does — enters, moves, other updates, leaves, hides, new epochs, resyncs, an edge
// forgetting aliases — the frames a revision-3 client decodes (through its alias table)
// are the entries a revision-2 client decodes from the revision-2 frames, so both
// replicas are the same; and a cursor move costs what the document says.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { batchFrameFromEntries, decodeServerMessage, encode, encodeBatchEntry } from "./codec.js";
import {
  type AliasSource,
  createAliasAssigner,
  encodeBatchEntryRev3,
  encodePeerRev3,
  smallestDenominator,
} from "./compact-encode.js";
import { createEntryAliasTable } from "./entry-aliases.js";
import { ProtocolError } from "./errors.js";
import type { ClientBatchEntry, PeerState, ServerMessage } from "./messages.js";
import { MessageType } from "./messages.js";
import type { PresenceData } from "./presence-types.js";
import { PresenceReplica } from "./replica.js";
import { double, wireState } from "./test-arbitraries.js";

/** The edge's table, as the encoder sees it, and the edge forgetting connections that left. */
function aliasSource() {
  const table = createAliasAssigner();
  return Object.assign(table, {
    forgetExcept(present: ReadonlySet<string>) {
      for (const cid of [...table.ids()]) if (!present.has(cid)) table.drop(cid);
    },
  });
}

function chunkFrame(syncId: number, peers: readonly Uint8Array[]): Uint8Array {
  const prefix = encode({ type: MessageType.SNAPSHOT_CHUNK, syncId, entries: [] }).subarray(0, -1);
  const body = batchFrameFromEntries(peers).subarray(2); // the entry list's array header and peers
  const out = new Uint8Array(prefix.length + body.length);
  out.set(prefix);
  out.set(body, prefix.length);
  return out;
}

const CIDS = ["c0-aaaaaaaaaaaaaaaa", "c1-bbbbbbbbbbbbbbbb", "c2-cccccccccccccccc"];
const coordinate = fc.oneof(
  double,
  fc.integer({ min: -70000, max: 5_000_000_000 }),
  fc.float({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 1, 0.5, 523 / 1280),
  // An app's pixel / size (a ratio move's case in revision 4), at any scale.
  fc.tuple(fc.integer({ min: -5000, max: 5000 }), fc.integer({ min: 1, max: 5000 })).map(([p, q]) => p / q),
);
type Op =
  | { op: "enter"; c: number; newEpoch: boolean; state: PresenceData }
  | { op: "move"; c: number; x: number; y: number; span: number; t: number | undefined }
  | { op: "update"; c: number; set: PresenceData; del: string[] }
  | { op: "leave"; c: number; expired: boolean }
  | { op: "hide" | "flush" | "resync" | "forget"; c: number };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("enter" as const), c: fc.nat(2), newEpoch: fc.boolean(), state: wireState }),
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("move" as const),
      c: fc.nat(2),
      x: coordinate,
      y: coordinate,
      span: fc.constantFrom(1, 1, 1, 2),
      t: fc.option(fc.nat(), { nil: undefined }),
    }),
  },
  fc.record({
    op: fc.constant("update" as const),
    c: fc.nat(2),
    set: wireState,
    del: fc.subarray(["a", "status"]),
  }),
  fc.record({ op: fc.constant("leave" as const), c: fc.nat(2), expired: fc.boolean() }),
  fc.record({
    op: fc.constantFrom("hide" as const, "flush" as const, "resync" as const, "forget" as const),
    c: fc.nat(2),
  }),
);

interface Sender {
  peer: PeerState;
  held: boolean; // the client holds it (an entry naming it may be sent)
}

/**
 * Plays the ops as an edge would for one client: the same messages, as revision-2 and
 * revision-3 frames (with `ratios`, revision-4 frames in place of revision 3's).
 */
function play(ops: readonly Op[], ratios = false): { rev2: Uint8Array[]; rev3: Uint8Array[] } {
  const senders = new Map<string, Sender>();
  const epochs = new Map<string, number>();
  const source = aliasSource();
  const rev2: Uint8Array[] = [];
  const rev3: Uint8Array[] = [];
  let batch: ClientBatchEntry[] = [];
  let syncId = 0;
  const flush = (): void => {
    if (batch.length === 0) return;
    rev2.push(batchFrameFromEntries(batch.map(encodeBatchEntry)));
    rev3.push(batchFrameFromEntries(batch.map((e) => encodeBatchEntryRev3(e, source, ratios))));
    batch = [];
  };
  for (const o of ops) {
    const cid = CIDS[o.c] as string;
    const s = senders.get(cid);
    if (o.op === "enter") {
      const epoch = (epochs.get(cid) ?? 0) + (o.newEpoch || s === undefined ? 1 : 0);
      epochs.set(cid, epoch);
      const peer = { connectionId: cid, userId: `u${o.c}`, info: undefined, epoch, clock: 0, state: o.state };
      senders.set(cid, { peer, held: true });
      batch.push({ kind: "enter", ...peer });
    } else if ((o.op === "move" || o.op === "update") && s?.held) {
      const clock = s.peer.clock + (o.op === "move" ? o.span : 1);
      const set: PresenceData =
        o.op === "update"
          ? o.set
          : o.t === undefined
            ? { cursor: { x: o.x, y: o.y } }
            : { cursor: { x: o.x, y: o.y }, t: o.t };
      const del = o.op === "update" ? o.del.filter((k) => !Object.hasOwn(set, k)) : [];
      const base = o.op === "move" ? clock - o.span : s.peer.clock;
      s.peer = { ...s.peer, clock, state: { ...s.peer.state, ...set } };
      batch.push({ kind: "update", connectionId: cid, epoch: s.peer.epoch, base, clock, set, del });
    } else if (o.op === "leave" && s?.held) {
      senders.delete(cid);
      const { epoch, clock } = s.peer;
      batch.push({ kind: "leave", connectionId: cid, epoch, clock, reason: o.expired ? "expired" : "left" });
    } else if (o.op === "hide" && s?.held) {
      s.held = false;
      batch.push({ kind: "hide", connectionId: cid });
    } else if (o.op === "flush") flush();
    else if (o.op === "forget") {
      flush();
      source.forgetExcept(new Set(senders.keys()));
    } else if (o.op === "resync") {
      flush();
      syncId++;
      const peers = [...senders.values()].map((x) => {
        x.held = true;
        return x.peer;
      });
      const half = Math.ceil(peers.length / 2);
      for (const part of [peers.slice(0, half), peers.slice(half)]) {
        rev2.push(encode({ type: MessageType.SNAPSHOT_CHUNK, syncId, entries: part }));
        rev3.push(
          chunkFrame(
            syncId,
            part.map((p) => encodePeerRev3(p, source.announce(p.connectionId, p.epoch))),
          ),
        );
      }
      const done = encode({ type: MessageType.SNAPSHOT_DONE, syncId, total: peers.length });
      rev2.push(done);
      rev3.push(done);
    }
  }
  flush();
  return { rev2, rev3 };
}

function replicaOf(messages: readonly ServerMessage[]): PeerState[] {
  const replica = new PresenceReplica();
  let chunks: PeerState[] = [];
  for (const m of messages) {
    if (m.type === MessageType.BATCH) for (const e of m.entries) replica.apply(e);
    else if (m.type === MessageType.SNAPSHOT_CHUNK) chunks.push(...m.entries);
    else if (m.type === MessageType.SNAPSHOT_DONE) {
      replica.applySnapshot(chunks, { authoritative: true });
      chunks = [];
    }
  }
  return replica.snapshot();
}

/** A cursor-only update of `cid` at `clock` (base clock − 1). */
function cursorMove(cid: string, epoch: number, clock: number, x: number, y: number): ClientBatchEntry {
  return {
    kind: "update",
    connectionId: cid,
    epoch,
    base: clock - 1,
    clock,
    set: { cursor: { x, y } },
    del: [],
  };
}

/** A cursor-only update of connection c0 (alias 0) at clock 7, in revision 3's or 4's bytes, as hex. */
function moveHex(x: number, y: number, ratios: boolean): string {
  const source = aliasSource();
  source.announce("c0-aaaaaaaaaaaaaaaa", 1);
  return Buffer.from(
    encodeBatchEntryRev3(cursorMove("c0-aaaaaaaaaaaaaaaa", 1, 7, x, y), source, ratios),
  ).toString("hex");
}

/** Bytes per entry of a BATCH of the same move by 50 connections, each entry encoded by `encodeOne`. */
function bytesPerMove(
  clock: number,
  x: number,
  y: number,
  encodeOne: (e: ClientBatchEntry, source: AliasSource) => Uint8Array,
): number {
  const source = aliasSource();
  const cids = Array.from({ length: 50 }, (_, i) => `conn-${String(i).padStart(18, "0")}`);
  for (const cid of cids) source.announce(cid, 3);
  return (
    batchFrameFromEntries(cids.map((cid) => encodeOne(cursorMove(cid, 3, clock, x, y), source))).length / 50
  );
}

describe("revision 3: aliases and compact moves", () => {
  it("decodes to the same entries and the same replica as revision 2, whatever the room does", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 120 }), (ops) => {
        const { rev2, rev3 } = play(ops);
        const table = createEntryAliasTable();
        const plain = rev2.map((f) => decodeServerMessage(f));
        const aliased = rev3.map((f) => decodeServerMessage(f, undefined, table));
        expect(aliased).toEqual(plain);
        expect(replicaOf(aliased)).toEqual(replicaOf(plain));
        for (let i = 0; i < rev2.length; i++)
          expect(rev3[i]!.length).toBeLessThanOrEqual(rev2[i]!.length + 2 * 2);
      }),
      { numRuns: 300 },
    );
  });

  it("a cursor move in a 50-entry batch: 14–16 B for short floats, 22–24 B for float64 ones", () => {
    const frame = (clock: number, x: number, y: number) => ({
      plain: bytesPerMove(clock, x, y, (e) => encodeBatchEntry(e)),
      compact: bytesPerMove(clock, x, y, (e, source) => encodeBatchEntryRev3(e, source)),
    });
    // x, y exact in float32 (a multiple of 2^-16 of the width): 5 B each.
    expect(frame(100, 0.408599853515625, 0.5236053466796875).compact).toBeCloseTo(14.1, 5);
    expect(frame(40_000, 0.408599853515625, 0.5236053466796875).compact).toBeCloseTo(16.1, 5);
    expect(frame(40_000, 0.408599853515625, 0.5236053466796875).compact).toBeLessThanOrEqual(16.5);
    // A browser's 523/1280 is float64 (9 B): the move is 22–24 B, against 55.1 B in revision 2 (clock and base 3 B each).
    const f64 = frame(40_000, 523 / 1280, 377 / 720);
    expect(f64.compact).toBeCloseTo(24.1, 5);
    expect(f64.plain).toBeCloseTo(55.1, 5);
  });

  it("writes each coordinate in its smallest exact form", () => {
    const move = (x: number, y: number) => moveHex(x, y, false);
    expect(move(0, 1)).toBe("95040007" + "00" + "01");
    expect(move(-0, -5)).toBe("95040007" + "00" + "fb");
    expect(move(300, -200)).toBe("95040007" + "cd012c" + "d1ff38");
    expect(move(0.5, 0.25)).toBe("95040007" + "ca3f000000" + "ca3e800000");
    expect(move(0.1, 2 ** 40)).toBe("95040007" + "cb3fb999999999999a" + "ca53800000");
  });

  it("an alias the socket was never told is MALFORMED_MESSAGE, and the table is per socket", () => {
    const source = aliasSource();
    source.announce("c0-aaaaaaaaaaaaaaaa", 1);
    const update = cursorMove("c0-aaaaaaaaaaaaaaaa", 1, 1, 0.5, 0.5);
    const frame = batchFrameFromEntries([encodeBatchEntryRev3(update, source)]);
    expect(() => decodeServerMessage(frame, undefined, createEntryAliasTable())).toThrow(ProtocolError);
    // Without a table (a revision-2 reader) an alias is not a connection id either.
    expect(() => decodeServerMessage(frame)).toThrow(/connectionId is not a string/);
    const table = createEntryAliasTable();
    table.learn(0, "c0-aaaaaaaaaaaaaaaa", 1);
    expect(decodeServerMessage(frame, undefined, table)).toEqual({
      type: MessageType.BATCH,
      entries: [update],
    });
  });

  it("refuses a move that repeats the cursor in its other fields, or a move at clock 0", () => {
    const table = createEntryAliasTable();
    table.learn(0, "c0-aaaaaaaaaaaaaaaa", 1);
    const bad = [
      "92659196040001000081a6637572736f72c0", // [4, 0, 1, 0, 0, {"cursor": nil}]
      "926591950400000000", // clock 0
    ];
    for (const hex of bad)
      expect(() => decodeServerMessage(Buffer.from(hex, "hex"), undefined, table)).toThrow(ProtocolError);
  });
});

describe("revision 4: ratio moves", () => {
  it("decodes to the same entries and the same replica as revision 2, and is never longer than revision 3", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 120 }), (ops) => {
        const { rev2, rev3: rev4 } = play(ops, true);
        const { rev3 } = play(ops);
        const plain = rev2.map((f) => decodeServerMessage(f));
        const table = createEntryAliasTable();
        const ratio = rev4.map((f) => decodeServerMessage(f, undefined, table));
        expect(ratio).toEqual(plain);
        expect(replicaOf(ratio)).toEqual(replicaOf(plain));
        for (let i = 0; i < rev3.length; i++) expect(rev4[i]!.length).toBeLessThanOrEqual(rev3[i]!.length);
      }),
      { numRuns: 300 },
    );
  });

  it("finds the smallest denominator of any fraction p / q with q ≤ 65 535, and only exact ones", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
        fc.integer({ min: 1, max: 0xffff }),
        (p, q) => {
          const x = p / q;
          const d = smallestDenominator(x);
          expect(d).toBeDefined();
          expect(d).toBeLessThanOrEqual(q);
          expect(Math.round(x * (d as number)) / (d as number)).toBe(x);
          // The smallest: the fraction reduced (its denominator divides q).
          expect(q % (d as number)).toBe(0);
        },
      ),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (x) => {
        const d = smallestDenominator(x);
        if (d !== undefined) expect(Math.round(x * d) / d).toBe(x);
      }),
      { numRuns: 2000 },
    );
    expect(smallestDenominator(Math.PI)).toBeUndefined();
    expect(smallestDenominator(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(smallestDenominator(1 / 65_537)).toBeUndefined();
  });

  it("sends a browser's pixel / size as numerators over a common denominator when that is shorter", () => {
    // 523/1280 and 377/720: d = lcm(1280, 720) = 11 520, numerators 4 707 and 6 032 — 9 B against 18.
    expect(moveHex(523 / 1280, 377 / 720, true)).toBe("96050007" + "cd2d00" + "cd1263" + "cd1790");
    expect(moveHex(0.5, 0.25, true)).toBe("96050007" + "04" + "02" + "01");
    // Integers are shortest as they are; a coordinate with no small denominator keeps the plain move.
    expect(moveHex(300, -200, true)).toBe(moveHex(300, -200, false));
    expect(moveHex(Math.PI, 0.5, true)).toBe(moveHex(Math.PI, 0.5, false));
    expect(moveHex(-0, 1 / 3, true)).toBe("96050007" + "03" + "00" + "01");
  });

  it("a cursor move of pixel / size in a 50-entry batch is at most 16 B", () => {
    const perEntry = (clock: number, x: number, y: number, ratios: boolean) =>
      bytesPerMove(clock, x, y, (e, source) => encodeBatchEntryRev3(e, source, ratios));
    expect(perEntry(40_000, 523 / 1280, 377 / 720, false)).toBeCloseTo(24.1, 5);
    expect(perEntry(40_000, 523 / 1280, 377 / 720, true)).toBeCloseTo(15.1, 5);
    expect(perEntry(100, 523 / 1280, 377 / 720, true)).toBeCloseTo(13.1, 5);
  });

  it("refuses a ratio move whose denominator or numerators are not integers in range", () => {
    const table = createEntryAliasTable();
    table.learn(0, "c0-aaaaaaaaaaaaaaaa", 1);
    const bad = [
      "92659196050001000101", // d = 0
      "92659196050001ce000100000101", // d = 65 536
      "92659196050001cb3ff80000000000000101", // d = 1.5
      "9265919605000102cb3fe000000000000001", // xn = 0.5
      "926591960500010201a131", // yn = "1"
      "9265919605000102010181a6637572736f72c0", // rest repeats the cursor
    ];
    for (const hex of bad)
      expect(() => decodeServerMessage(Buffer.from(hex, "hex"), undefined, table), hex).toThrow(
        ProtocolError,
      );
    const ok = decodeServerMessage(Buffer.from("926591960500010201" + "01", "hex"), undefined, table);
    expect(ok).toMatchObject({
      entries: [{ kind: "update", base: 0, clock: 1, set: { cursor: { x: 0.5, y: 0.5 } } }],
    });
  });
});
