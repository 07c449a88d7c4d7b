// Revision 3 (PROTOCOL.md §4 "Revision 3: aliases and compact moves"): whatever a room
// does — enters, moves, other updates, leaves, hides, new epochs, resyncs, an edge
// forgetting aliases — the frames a revision-3 client decodes (through its alias table)
// are the entries a revision-2 client decodes from the revision-2 frames, so both
// replicas are the same; and a cursor move costs what the document says.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { batchFrameFromEntries, decodeServerMessage, encode, encodeBatchEntry } from "./codec.js";
import { createAliasAssigner, encodeBatchEntryRev3, encodePeerRev3 } from "./compact-encode.js";
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

/** Plays the ops as an edge would for one client: the same messages, as revision-2 and revision-3 frames. */
function play(ops: readonly Op[]): { rev2: Uint8Array[]; rev3: Uint8Array[] } {
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
    rev3.push(batchFrameFromEntries(batch.map((e) => encodeBatchEntryRev3(e, source))));
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
    const source = aliasSource();
    const cids = Array.from({ length: 50 }, (_, i) => `conn-${String(i).padStart(18, "0")}`);
    for (const cid of cids) source.announce(cid, 3);
    const frame = (clock: number, x: number, y: number) => {
      const entries: ClientBatchEntry[] = cids.map((cid) => ({
        kind: "update",
        connectionId: cid,
        epoch: 3,
        base: clock - 1,
        clock,
        set: { cursor: { x, y } },
        del: [],
      }));
      const plain = batchFrameFromEntries(entries.map(encodeBatchEntry)).length / 50;
      const compact = batchFrameFromEntries(entries.map((e) => encodeBatchEntryRev3(e, source))).length / 50;
      return { plain, compact };
    };
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
    const source = aliasSource();
    const a = source.announce("c0-aaaaaaaaaaaaaaaa", 1);
    const move = (x: number, y: number) =>
      Buffer.from(
        encodeBatchEntryRev3(
          {
            kind: "update",
            connectionId: "c0-aaaaaaaaaaaaaaaa",
            epoch: 1,
            base: 6,
            clock: 7,
            set: { cursor: { x, y } },
            del: [],
          },
          source,
        ),
      ).toString("hex");
    expect(a).toBe(0);
    expect(move(0, 1)).toBe("95040007" + "00" + "01");
    expect(move(-0, -5)).toBe("95040007" + "00" + "fb");
    expect(move(300, -200)).toBe("95040007" + "cd012c" + "d1ff38");
    expect(move(0.5, 0.25)).toBe("95040007" + "ca3f000000" + "ca3e800000");
    expect(move(0.1, 2 ** 40)).toBe("95040007" + "cb3fb999999999999a" + "ca53800000");
  });

  it("an alias the socket was never told is MALFORMED_MESSAGE, and the table is per socket", () => {
    const source = aliasSource();
    source.announce("c0-aaaaaaaaaaaaaaaa", 1);
    const update: ClientBatchEntry = {
      kind: "update",
      connectionId: "c0-aaaaaaaaaaaaaaaa",
      epoch: 1,
      base: 0,
      clock: 1,
      set: { cursor: { x: 0.5, y: 0.5 } },
      del: [],
    };
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
