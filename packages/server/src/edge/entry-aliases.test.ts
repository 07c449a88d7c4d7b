import { decodeServerMessage, encode, MessageType, type ViewSpec } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { edgeRoomFixture } from "../test-support/fake-edge-room.js";
import {
  batchEntries,
  enterEntry as enter,
  fakeRoomMember,
  updateEntry as update,
} from "../test-support/fake-room-member.js";
import { createEntryAliases } from "./entry-aliases.js";
import { BACKPRESSURE_BYTES } from "./socket-writes.js";

describe("entry aliases: assignment", () => {
  it("gives each connection and epoch its own alias from a counter that never goes back", () => {
    const held = new Map<string, { epoch: number }>([
      ["a", { epoch: 1 }],
      ["b", { epoch: 1 }],
    ]);
    const aliases = createEntryAliases(held);
    expect(aliases.lookup("a", 1)).toBeUndefined(); // assigned only when an entry announces it
    expect(aliases.announce("a", 1)).toBe(0);
    expect(aliases.announce("b", 1)).toBe(1);
    expect(aliases.announce("a", 1)).toBe(0);
    expect(aliases.lookup("a", 2)).toBeUndefined(); // another epoch is another connection
    held.set("a", { epoch: 2 });
    expect(aliases.announce("a", 2)).toBe(2);
    expect(aliases.lookup("a", 1)).toBeUndefined();
    expect(aliases.lookup("a")).toBe(2); // hide entries name the current epoch
  });

  it("forgets a connection's alias after the flush that carried its leave, and never hands it out again", () => {
    const held = new Map<string, { epoch: number }>([["a", { epoch: 1 }]]);
    const aliases = createEntryAliases(held);
    aliases.announce("a", 1);
    held.delete("a");
    aliases.entryBytes({ kind: "leave", connectionId: "a", epoch: 1, clock: 3, reason: "left" }, 3);
    expect(aliases.lookup("a", 1)).toBe(0); // the flush is not over: the leave's other copies use it
    aliases.flushed();
    expect(aliases.lookup("a", 1)).toBeUndefined();
    expect(aliases.size).toBe(0);
    held.set("a", { epoch: 1 }); // back (an expired entry re-asserted)
    expect(aliases.announce("a", 1)).toBe(1);
  });

  it("keeps the alias of a connection that left and came back in the same flush", () => {
    const held = new Map<string, { epoch: number }>([["a", { epoch: 2 }]]);
    const aliases = createEntryAliases(held);
    aliases.announce("a", 1);
    aliases.entryBytes({ kind: "leave", connectionId: "a", epoch: 1, clock: 3, reason: "left" }, 3);
    aliases.entryBytes(enter("a", 2), 3);
    aliases.flushed();
    expect(aliases.lookup("a", 2)).toBe(1);
  });

  it("sweeps aliases of connections the room no longer holds once the table outgrows the room", () => {
    const held = new Map<string, { epoch: number }>();
    const aliases = createEntryAliases(held);
    for (let i = 0; i < 100; i++) aliases.announce(`gone-${i}`, 1);
    held.set("kept", { epoch: 1 });
    aliases.announce("kept", 1);
    aliases.flushed();
    expect(aliases.size).toBe(1);
    expect(aliases.lookup("kept", 1)).toBe(100);
  });
});

async function setupRoom() {
  const { room: r, flush, clock } = await edgeRoomFixture();
  const join = (cid: string, rev: number, view?: ViewSpec) => {
    const m = fakeRoomMember(cid, 0, rev);
    r.join(m.member, enter(cid), false, view);
    return m;
  };
  return { room: r, join, flush, clock };
}

/** Drops what the members received so far (their joins). */
function forgetReceived(...members: ReturnType<typeof fakeRoomMember>[]): void {
  for (const m of members) {
    m.frames.length = 0;
    m.received.length = 0;
  }
}

const WINDOW: ViewSpec = {
  rect: { x0: 0, y0: 0, x1: 0.5, y1: 0.5 },
  field: "cursor",
  pinned: [],
  cap: 100,
  roster: 0,
  everyone: false,
};

describe("entry aliases: an edge room with revision-2 and revision-3 members", () => {
  it("sends each revision its own frame; both decode to the same entries, revision 3's in fewer bytes", async () => {
    const { room, join, flush } = await setupRoom();
    const old = join("old-aaaaaaaaaaaaaaaaaa", 2);
    const now = join("new-bbbbbbbbbbbbbbbbbb", 3);
    const sender = fakeRoomMember("snd-cccccccccccccccccc", 0, 2);
    room.join(sender.member, enter(sender.member.connectionId));
    flush();
    forgetReceived(old, now);
    for (let clock = 1; clock <= 20; clock++) {
      room.publish(update(sender.member.connectionId, clock, { cursor: { x: clock / 64, y: 0.25 } }));
      flush();
    }
    room.publish(update(sender.member.connectionId, 21, { status: "away" }));
    room.remove(sender.member, {
      kind: "leave",
      connectionId: sender.member.connectionId,
      epoch: 1,
      clock: 21,
      reason: "left",
    });
    flush();
    expect(batchEntries(now)).toEqual(batchEntries(old));
    // Revision 2 gets exactly the bytes it always did: each frame is `encode` of what it decodes to.
    for (const f of old.frames) expect(encode(decodeServerMessage(f))).toEqual(f);
    expect(batchEntries(now).map((e) => e.kind)).toEqual([...Array(20).fill("update"), "leave"]); // the status update coalesced into the leave
    const bytes = (m: typeof old) => m.frames.reduce((n, f) => n + f.length, 0);
    // 20 moves: 3 B of frame + 14 B (alias, clock, two float32) each, against 3 + 50 B.
    expect(bytes({ ...now, frames: now.frames.slice(0, 20) })).toBe(20 * (3 + 14));
    expect(bytes({ ...old, frames: old.frames.slice(0, 20) })).toBe(20 * (3 + 50));
    // A revision-2 reader cannot read revision 3's frames: the edge never sends it one.
    const lastOfNew = now.frames.at(-1) as Uint8Array;
    expect(() => decodeServerMessage(lastOfNew)).toThrow();
    room.close();
  });

  it("sends revision 4 ratio moves and revision 3 plain ones in the same flush; both decode to the same entries", async () => {
    const { room, join, flush } = await setupRoom();
    const r3 = join("rv3-aaaaaaaaaaaaaaaaaa", 3);
    const r4 = join("rv4-bbbbbbbbbbbbbbbbbb", 4);
    const sender = fakeRoomMember("snd-cccccccccccccccccc", 0, 4);
    room.join(sender.member, enter(sender.member.connectionId));
    flush();
    forgetReceived(r3, r4);
    for (let clock = 1; clock <= 20; clock++) {
      // x: a numerator that is no multiple of 5, so never exact in float32 (1280 = 5 × 256).
      room.publish(
        update(sender.member.connectionId, clock, { cursor: { x: (501 + 5 * clock) / 1280, y: 377 / 720 } }),
      );
      flush();
    }
    expect(batchEntries(r4)).toEqual(batchEntries(r3));
    expect(batchEntries(r4).every((e) => e.kind === "update")).toBe(true);
    // Each move's second element: 5 (ratio) for revision 4, 4 (plain) for revision 3.
    expect(r4.frames.map((f) => f[4])).toEqual(Array(20).fill(5));
    expect(r3.frames.map((f) => f[4])).toEqual(Array(20).fill(4));
    const bytes = (m: typeof r3) => m.frames.reduce((n, f) => n + f.length, 0);
    // 3 B of frame + [5, alias, clock, 11 520, xn, yn] (2 + 1 + 1 + 3 + 3 + 3) against the float64 move's 22.
    expect(bytes(r4)).toBe(20 * (3 + 13));
    expect(bytes(r3)).toBe(20 * (3 + 22));
    room.close();
  });

  it("carries aliases in snapshots: a revision-3 joiner decodes moves of members that entered before it", async () => {
    const { room, join, flush } = await setupRoom();
    const a = join("a-aaaaaaaaaaaaaaaaaaaa", 2);
    flush();
    const late = join("late-bbbbbbbbbbbbbbbbbb", 3);
    expect(late.received.map((m) => m.type)).toEqual([MessageType.SNAPSHOT_CHUNK, MessageType.SNAPSHOT_DONE]);
    flush(); // the joiner's own enter
    room.publish(update(a.member.connectionId, 1, { cursor: { x: 0.5, y: 0.5 } }));
    flush();
    expect(batchEntries(late).at(-1)).toMatchObject({ connectionId: a.member.connectionId, clock: 1 });
    expect((late.frames.at(-1) as Uint8Array).length).toBeLessThanOrEqual(3 + 16);
    room.close();
  });

  it("hides and shows a member to a filtered revision-3 member exactly as to a revision-2 one", async () => {
    const { room, join, flush } = await setupRoom();
    const v2 = join("v2-aaaaaaaaaaaaaaaaaaa", 2, WINDOW);
    const v3 = join("v3-bbbbbbbbbbbbbbbbbbb", 3, WINDOW);
    const m = fakeRoomMember("mover-cccccccccccccccc", 0, 3);
    room.join(m.member, enter(m.member.connectionId));
    flush();
    forgetReceived(v2, v3);
    const cid = m.member.connectionId;
    const path = [0.1, 0.2, 0.9, 0.3, 0.95, 0.1];
    path.forEach((x, i) => {
      room.publish(update(cid, i + 1, { cursor: { x, y: 0.1 } }));
      flush();
    });
    expect(batchEntries(v3)).toEqual(batchEntries(v2));
    expect(batchEntries(v3).map((e) => e.kind)).toContain("hide");
    room.close();
  });

  it("encodes a slow revision-3 member's backlog with aliases", async () => {
    const { room, join, flush, clock } = await setupRoom();
    const a = join("a-aaaaaaaaaaaaaaaaaaaa", 3);
    const slow = join("slow-bbbbbbbbbbbbbbbbbb", 3);
    flush();
    slow.ws.bufferedAmount = BACKPRESSURE_BYTES + 1;
    room.publish(update(a.member.connectionId, 1, { cursor: { x: 0.5, y: 0.5 } }));
    flush();
    slow.ws.bufferedAmount = 0;
    await clock.advance(20);
    expect(batchEntries(slow).at(-1)).toMatchObject({
      connectionId: a.member.connectionId,
      base: 0,
      clock: 1,
    });
    room.close();
  });
});
