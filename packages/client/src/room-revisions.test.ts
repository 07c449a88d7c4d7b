// Property: whatever a room does — enters, cursor moves, other updates, leaves, hides,
// new epochs, server snapshots — an SDK room fed the revision-3 frames (aliases,
// compact moves; PROTOCOL.md §4) shows the same others as one fed the revision-2
// frames, and asks for no resync the other does not.
import {
  type ClientBatchEntry,
  MessageType,
  type PeerState,
  type PresenceData,
} from "@collabblocks/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { join, peer } from "./test-support/fake-server.js";
import { aliasTable, deliverBatchRev3, deliverSnapshotRev3, joinRev3 } from "./test-support/rev3-server.js";
import { enterTestRoom } from "./test-support/room-harness.js";

const CIDS = ["peerAAAAAAAAAAAAAAAAAA", "peerBBBBBBBBBBBBBBBBBB", "peerCCCCCCCCCCCCCCCCCC"];
const unit = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }),
  fc.float({ min: 0, max: 1, noNaN: true }),
  fc.constantFrom(0, 1, 523 / 1280),
);
type Op =
  | { op: "enter"; c: number; newEpoch: boolean }
  | { op: "move"; c: number; x: number; y: number }
  | { op: "status"; c: number; s: string }
  | { op: "leave" | "hide" | "flush" | "snapshot"; c: number };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("enter" as const), c: fc.nat(2), newEpoch: fc.boolean() }),
  { weight: 4, arbitrary: fc.record({ op: fc.constant("move" as const), c: fc.nat(2), x: unit, y: unit }) },
  fc.record({ op: fc.constant("status" as const), c: fc.nat(2), s: fc.string({ maxLength: 4 }) }),
  fc.record({
    op: fc.constantFrom("leave" as const, "hide" as const, "flush" as const, "snapshot" as const),
    c: fc.nat(2),
  }),
);

/** What a room shows of its others, comparable across rooms. */
function shown(t: Awaited<ReturnType<typeof enterTestRoom>>) {
  return t.room
    .getOthers()
    .map((o) => JSON.stringify(o))
    .sort();
}

async function play(ops: readonly Op[]) {
  const old = await enterTestRoom();
  const rev2 = old.net.last();
  join(rev2);
  await old.clock.settle();
  const now = await enterTestRoom();
  const source = aliasTable();
  const rev3 = await joinRev3(now, source, []);
  const senders = new Map<string, { peer: PeerState; held: boolean }>();
  const epochs = new Map<string, number>();
  let batch: ClientBatchEntry[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    rev2.deliver({ type: MessageType.BATCH, entries: batch });
    deliverBatchRev3(rev3, source, batch);
    batch = [];
  };
  for (const o of ops) {
    const cid = CIDS[o.c] as string;
    const s = senders.get(cid);
    if (o.op === "enter") {
      const epoch = (epochs.get(cid) ?? 0) + (o.newEpoch || s === undefined ? 1 : 0);
      epochs.set(cid, epoch);
      const p = peer(cid, { status: "in" }, { epoch });
      senders.set(cid, { peer: p, held: true });
      batch.push({ kind: "enter", ...p });
    } else if ((o.op === "move" || o.op === "status") && s?.held) {
      const set: PresenceData = o.op === "move" ? { cursor: { x: o.x, y: o.y } } : { status: o.s };
      const clock = s.peer.clock + 1;
      s.peer = { ...s.peer, clock, state: { ...s.peer.state, ...set } };
      batch.push({
        kind: "update",
        connectionId: cid,
        epoch: s.peer.epoch,
        base: clock - 1,
        clock,
        set,
        del: [],
      });
    } else if (o.op === "leave" && s?.held) {
      senders.delete(cid);
      batch.push({
        kind: "leave",
        connectionId: cid,
        epoch: s.peer.epoch,
        clock: s.peer.clock,
        reason: "left",
      });
    } else if (o.op === "hide" && s?.held) {
      s.held = false;
      batch.push({ kind: "hide", connectionId: cid });
    } else if (o.op === "flush") flush();
    else if (o.op === "snapshot") {
      flush();
      const peers = [...senders.values()].map((x) => {
        x.held = true;
        return x.peer;
      });
      const self = (t: typeof old) => peer(t.room.connectionId, {}, { epoch: 1, userId: "me" });
      rev2.deliver({ type: MessageType.SNAPSHOT_CHUNK, syncId: 0, entries: [...peers, self(old)] });
      rev2.deliver({ type: MessageType.SNAPSHOT_DONE, syncId: 0, total: peers.length + 1 });
      deliverSnapshotRev3(rev3, source, 0, [...peers, self(now)]);
    }
  }
  flush();
  await old.clock.settle();
  await now.clock.settle();
  return { old, now, rev2, rev3 };
}

describe("room: revision 3 against revision 2", () => {
  it("shows the same others and asks for the same resyncs, whatever the room does", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), async (ops) => {
        const { old, now, rev2, rev3 } = await play(ops);
        expect(shown(now)).toEqual(shown(old));
        expect(rev3.sentOfType(MessageType.SYNC_REQUEST).length).toBe(
          rev2.sentOfType(MessageType.SYNC_REQUEST).length,
        );
        old.leave();
        now.leave();
      }),
      { numRuns: 40 },
    );
  });
});
