import {
  type BatchEntry,
  type PeerState,
  PresenceReplica,
  peerStatesEqual,
  type Rect,
  rectContains,
  type ViewSpec,
  withMargin,
} from "@collabblocks/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createRoomViews,
  LARGE_ROOM_ARRIVAL_MS,
  LARGE_ROOM_JOIN_MS,
  LARGE_ROOM_NEWCOMER_MS,
  LARGE_ROOM_RESELECT_MS,
  RESELECT_MS,
  type RoomViews,
} from "./room-views.js";

// A room driven through RoomViews the way an edge room drives it: the room's
// replica applies each entry, views observe it, and at each flush the shared
// entries go to everyone-viewers while filtered viewers get what route() gives
// them (plus a snapshot when asked). Each viewer keeps a client replica.

const THRESHOLD = 4;

interface Harness {
  readonly views: RoomViews;
  readonly room: PresenceReplica;
  readonly clients: Map<string, PresenceReplica>;
  time: number;
  join(cid: string, user: string, pos: { x: number; y: number } | null, viewer: boolean): void;
  move(cid: string, pos: { x: number; y: number } | null): void;
  leave(cid: string): void;
  setView(cid: string, view: ViewSpec | undefined): void;
  /** `writtenAnyway`: connections the edge writes in this flush whatever they get (their OCCUPANCY is due). */
  flush(writtenAnyway?: ReadonlySet<string>): void;
}

function createHarness(): Harness {
  const room = new PresenceReplica();
  const clock = { t: 1000 };
  const views = createRoomViews({
    largeRoomThreshold: THRESHOLD,
    stateOf: (cid) => room.get(cid),
    now: () => clock.t,
  });
  const clients = new Map<string, PresenceReplica>();
  let pending: BatchEntry[] = [];
  const epochs = new Map<string, number>();
  const snapshotTo = (cid: string) => {
    const ids = views.snapshotFor(cid);
    const entries = ids === "everyone" ? room.snapshot() : ids.map((id) => room.get(id) as PeerState);
    clients.get(cid)?.applySnapshot(entries, { authoritative: true }); // as the SDK applies it
  };
  const apply = (entry: BatchEntry) => {
    room.apply(entry);
    views.observe(entry, room.get(entry.connectionId));
    pending.push(entry);
  };
  const h: Harness = {
    views,
    room,
    clients,
    get time() {
      return clock.t;
    },
    set time(t) {
      clock.t = t;
    },
    join(cid, user, pos, viewer) {
      const epoch = (epochs.get(cid) ?? 0) + 1; // a rejoin is a new epoch (PROTOCOL.md §5)
      epochs.set(cid, epoch);
      apply({
        kind: "enter",
        connectionId: cid,
        userId: user,
        info: undefined,
        epoch,
        clock: 1,
        state: pos ? { cursor: pos } : {},
      });
      if (!viewer) return;
      clients.set(cid, new PresenceReplica());
      views.addViewer(cid);
      snapshotTo(cid);
    },
    move(cid, pos) {
      const peer = room.get(cid);
      if (peer === undefined) return;
      apply({
        kind: "update",
        connectionId: cid,
        epoch: peer.epoch,
        base: peer.clock,
        clock: peer.clock + 1,
        set: pos ? { cursor: pos } : {},
        del: pos ? [] : ["cursor"],
      });
    },
    leave(cid) {
      const peer = room.get(cid);
      if (peer === undefined) return;
      apply({ kind: "leave", connectionId: cid, epoch: peer.epoch, clock: peer.clock, reason: "left" });
      views.removeViewer(cid);
      clients.delete(cid);
    },
    setView(cid, view) {
      views.setView(cid, view);
    },
    flush(writtenAnyway) {
      const entries = pending;
      pending = [];
      const routed = views.route(entries, writtenAnyway);
      for (const [cid, client] of clients) {
        if (views.isEveryone(cid)) for (const e of entries) client.apply(e);
        else for (const e of routed.get(cid) ?? []) client.apply(e);
      }
      for (const cid of views.takeSnapshotRequests()) snapshotTo(cid);
    },
  };
  return h;
}

/** A window from (0, 0) to (side, side) on `cursor`, nothing pinned, no roster. */
function squareView(side: number, cap: number): ViewSpec {
  return {
    everyone: false,
    rect: { x0: 0, y0: 0, x1: side, y1: side },
    field: "cursor",
    pinned: [],
    cap,
    roster: 0,
  };
}

function idsOf(replica: PresenceReplica): string[] {
  return [...replica.peers()].map((p) => p.connectionId).sort();
}

/** Every viewer holds exactly what the server says it holds, each at the room's state. */
function checkConvergence(h: Harness): void {
  for (const [cid, client] of h.clients) {
    const holds = h.views.holds(cid);
    const expected = holds === undefined ? idsOf(h.room) : [...holds].sort();
    expect(idsOf(client), `viewer ${cid}`).toEqual(expected);
    for (const peer of client.peers()) {
      expect(
        peerStatesEqual(peer, h.room.get(peer.connectionId) as PeerState),
        `${cid} holds ${peer.connectionId}`,
      ).toBe(true);
    }
  }
}

const point = fc.record({ x: fc.integer({ min: 0, max: 100 }), y: fc.integer({ min: 0, max: 100 }) });
const rect: fc.Arbitrary<Rect> = fc
  .tuple(point, fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 60 }))
  .map(([p, w, hgt]) => ({ x0: p.x, y0: p.y, x1: p.x + w, y1: p.y + hgt }));
const users = ["u0", "u1", "u2", "u3", "u4"];
const view: fc.Arbitrary<ViewSpec> = fc.record({
  everyone: fc.boolean(),
  rect: fc.option(rect, { nil: null }),
  field: fc.constant("cursor"),
  pinned: fc.subarray(users, { maxLength: 2 }),
  cap: fc.integer({ min: 0, max: 4 }),
  roster: fc.integer({ min: 0, max: 3 }),
});
const cids = [
  "c0-aaaaaaaaaaaaaaaa",
  "c1-aaaaaaaaaaaaaaaa",
  "c2-aaaaaaaaaaaaaaaa",
  "c3-aaaaaaaaaaaaaaaa",
  "c4-aaaaaaaaaaaaaaaa",
  "c5-aaaaaaaaaaaaaaaa",
  "c6-aaaaaaaaaaaaaaaa",
];
const cid = fc.constantFrom(...cids);
const op = fc.oneof(
  fc.record({
    kind: fc.constant("join" as const),
    cid,
    user: fc.constantFrom(...users),
    pos: fc.option(point, { nil: null }),
    viewer: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("move" as const), cid, pos: fc.option(point, { nil: null }) }),
  fc.record({ kind: fc.constant("leave" as const), cid }),
  fc.record({ kind: fc.constant("view" as const), cid, view: fc.option(view, { nil: undefined }) }),
  fc.record({ kind: fc.constant("wait" as const), ms: fc.integer({ min: 1, max: 2 * RESELECT_MS }) }),
);

/** A room just over the threshold, everyone far off, and `me` looking at a 100 × 100 window holding up to 10. */
function largeRoomWithWindow() {
  const h = createHarness();
  const me = cids[0] as string;
  h.join(me, "u0", null, true);
  for (let i = 1; i <= THRESHOLD + 1; i++) h.join(cids[i] as string, `u${i}`, { x: 500, y: 500 }, false);
  h.flush();
  h.setView(me, squareView(100, 10));
  h.flush();
  h.time += LARGE_ROOM_JOIN_MS; // they have been in the room a while: into a window, they move
  return { h, me };
}

describe("createRoomViews", () => {
  it("keeps every viewer's replica equal to what it holds, at the room's state (random joins, moves, leaves, view changes)", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const h = createHarness();
        for (const o of ops) {
          switch (o.kind) {
            case "join":
              if (h.room.get(o.cid) === undefined) h.join(o.cid, o.user, o.pos, o.viewer);
              break;
            case "move":
              h.move(o.cid, o.pos);
              break;
            case "leave":
              h.leave(o.cid);
              break;
            case "view":
              if (h.clients.has(o.cid)) h.setView(o.cid, o.view);
              break;
            case "wait":
              h.time += o.ms;
              break;
          }
          h.flush();
          checkConvergence(h);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("selects self, pinned users, the roster and the window, and nothing outside the margin (settled, cap not reached)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(point, fc.constantFrom(...users)), { minLength: 1, maxLength: 7 }),
        rect,
        fc.subarray(users, { maxLength: 2 }),
        fc.integer({ min: 0, max: 3 }),
        (placed, r, pinned, roster) => {
          const h = createHarness();
          placed.forEach(([p, u], i) => {
            h.join(cids[i] as string, u, p, i === 0);
          });
          const me = cids[0] as string;
          h.setView(me, { everyone: false, rect: r, field: "cursor", pinned, cap: 100, roster });
          h.flush();
          checkConvergence(h);
          const held = h.views.holds(me) as ReadonlySet<string>;
          const order = placed.map((_, i) => cids[i] as string);
          placed.forEach(([p, u], i) => {
            const id = cids[i] as string;
            const always = id === me || pinned.includes(u) || order.indexOf(id) < roster;
            if (always || rectContains(r, p)) expect(held.has(id), `${id} should be held`).toBe(true);
            if (!always && !rectContains(withMargin(r), p))
              expect(held.has(id), `${id} is outside`).toBe(false);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("caps the window at the most recently active and reports how many it left out", () => {
    const h = createHarness();
    for (let i = 0; i < 6; i++) h.join(cids[i] as string, `u${i}`, { x: 10 + i, y: 10 }, i === 0);
    const me = cids[0] as string;
    h.setView(me, {
      everyone: false,
      rect: { x0: 0, y0: 0, x1: 50, y1: 50 },
      field: "cursor",
      pinned: [],
      cap: 2,
      roster: 0,
    });
    h.time += 10;
    h.move(cids[3] as string, { x: 20, y: 20 });
    h.time += 10;
    h.move(cids[5] as string, { x: 21, y: 20 });
    h.time += RESELECT_MS;
    h.flush();
    h.flush();
    checkConvergence(h);
    expect([...(h.views.holds(me) as ReadonlySet<string>)].sort()).toEqual([me, cids[3], cids[5]].sort());
    expect(h.views.occupancy(me)).toEqual({ connections: 6, users: 6, omitted: 3 });
  });

  it("keeps a held entry on the border until it leaves the margin (no flapping)", () => {
    const h = createHarness();
    h.join(cids[0] as string, "u0", null, true);
    h.join(cids[1] as string, "u1", { x: 50, y: 50 }, false);
    const me = cids[0] as string;
    h.setView(me, squareView(100, 10));
    h.flush();
    expect(h.views.holds(me)?.has(cids[1] as string)).toBe(true);
    h.move(cids[1] as string, { x: 105, y: 50 }); // inside the 10 % margin
    h.flush();
    expect(h.views.holds(me)?.has(cids[1] as string)).toBe(true);
    h.move(cids[1] as string, { x: 111, y: 50 }); // beyond it: hidden
    h.flush();
    expect(h.views.holds(me)?.has(cids[1] as string)).toBe(false);
    h.move(cids[1] as string, { x: 105, y: 50 }); // in the margin but not held: stays out
    h.flush();
    expect(h.views.holds(me)?.has(cids[1] as string)).toBe(false);
    checkConvergence(h);
  });

  it("switches connections without a view from everyone to the roster when the room grows past the threshold, and back", () => {
    const h = createHarness();
    for (let i = 0; i <= THRESHOLD; i++) h.join(cids[i] as string, `u${i}`, { x: i, y: i }, i === THRESHOLD);
    h.flush();
    const me = cids[THRESHOLD] as string;
    expect(h.views.large).toBe(true);
    expect(h.views.isEveryone(me)).toBe(false);
    checkConvergence(h);
    h.leave(cids[0] as string);
    h.leave(cids[1] as string);
    h.flush();
    expect(h.views.large).toBe(false);
    expect(h.views.isEveryone(me)).toBe(true);
    checkConvergence(h);
  });

  it("in a large room takes newcomers into a window at most once per LARGE_ROOM_ARRIVAL_MS, the first at once", () => {
    const { h, me } = largeRoomWithWindow();
    expect(h.views.large).toBe(true);
    const a = cids[1] as string;
    const b = cids[2] as string;
    const c = cids[3] as string;
    h.move(a, { x: 10, y: 10 });
    h.flush(); // the first arrival: at once
    expect(h.views.holds(me)?.has(a)).toBe(true);
    h.time += 10;
    h.move(b, { x: 20, y: 20 });
    h.move(c, { x: 30, y: 30 });
    h.flush(); // within the interval: waiting
    expect(h.views.holds(me)?.has(b)).toBe(false);
    expect(h.views.waiting()).toBe(true);
    h.move(c, { x: 300, y: 300 }); // left the window before its pass: never entered
    h.time += LARGE_ROOM_ARRIVAL_MS;
    h.flush();
    expect(h.views.holds(me)?.has(b)).toBe(true);
    expect(h.views.holds(me)?.has(c)).toBe(false);
    expect(h.views.waiting()).toBe(false);
    h.move(a, { x: 11, y: 11 }); // held: its updates are never delayed
    h.flush();
    checkConvergence(h);
  });

  it("in a large room takes members that joined inside a window once per LARGE_ROOM_NEWCOMER_MS, or along with a batch", () => {
    const { h, me } = largeRoomWithWindow();
    const [j1, j2, j3] = ["j1", "j2", "j3"].map((j) => `${j}-aaaaaaaaaaaaaaaa`);
    const mover = cids[1];
    const j0 = "j0-aaaaaaaaaaaaaaaa";
    h.join(j0, "j0", { x: 5, y: 5 }, false);
    h.flush(); // the viewer's selection counts as its last pass: a joiner just after it waits…
    expect(h.views.holds(me)?.has(j0)).toBe(false);
    h.time += LARGE_ROOM_NEWCOMER_MS - LARGE_ROOM_JOIN_MS;
    h.flush(); // …for the pass LARGE_ROOM_NEWCOMER_MS after it
    expect(h.views.holds(me)?.has(j0)).toBe(true);
    h.time += LARGE_ROOM_NEWCOMER_MS;
    h.join(j1 as string, "j1", { x: 10, y: 10 }, false);
    h.flush(); // the first arrival since a pass that long ago: at once
    expect(h.views.holds(me)?.has(j1 as string)).toBe(true);
    h.time += LARGE_ROOM_ARRIVAL_MS;
    h.join(j2 as string, "j2", { x: 20, y: 20 }, false);
    h.flush(); // a joiner waits for the longer pass…
    expect(h.views.holds(me)?.has(j2 as string)).toBe(false);
    h.time += LARGE_ROOM_NEWCOMER_MS - LARGE_ROOM_ARRIVAL_MS - 1;
    h.flush(); // …which comes LARGE_ROOM_NEWCOMER_MS after the last…
    expect(h.views.holds(me)?.has(j2 as string)).toBe(false);
    h.time += 1;
    h.flush(); // …not before
    expect(h.views.holds(me)?.has(j2 as string)).toBe(true);
    h.time += 10;
    h.join(j3 as string, "j3", { x: 30, y: 30 }, false);
    h.flush();
    expect(h.views.holds(me)?.has(j3 as string)).toBe(false);
    h.move(j1 as string, { x: 12, y: 12 }); // a held member's update: a batch goes anyway, j3 rides in it
    h.flush();
    expect(h.views.holds(me)?.has(j3 as string)).toBe(true);
    h.time += 10;
    h.move(mover as string, { x: 40, y: 40 }); // moved in: the shorter pass
    h.flush();
    expect(h.views.holds(me)?.has(mover as string)).toBe(false);
    h.time += LARGE_ROOM_ARRIVAL_MS;
    h.flush();
    expect(h.views.holds(me)?.has(mover as string)).toBe(true);
    expect(h.views.waiting()).toBe(false);
    const j4 = "j4-aaaaaaaaaaaaaaaa";
    h.time += 10;
    h.join(j4, "j4", { x: 50, y: 50 }, false);
    h.flush();
    expect(h.views.holds(me)?.has(j4)).toBe(false);
    h.flush(new Set(["someone-else"])); // another connection's write: still waiting
    expect(h.views.holds(me)?.has(j4)).toBe(false);
    h.flush(new Set([me])); // its OCCUPANCY goes out on its own now: the joiner goes along
    expect(h.views.holds(me)?.has(j4)).toBe(true);
    checkConvergence(h);
  });

  it("counts a member that places itself in a window within its first LARGE_ROOM_JOIN_MS as a joiner, not a mover", () => {
    const { h, me } = largeRoomWithWindow();
    const [j1, j2] = ["j1", "j2"].map((j) => `${j}-aaaaaaaaaaaaaaaa`) as [string, string];
    h.join(j1, "j1", { x: 10, y: 10 }, false);
    h.flush(); // the first arrival: at once
    h.time += 10;
    h.join(j2, "j2", null, false); // joins with no cursor…
    h.flush();
    h.time += 10;
    h.move(j2, { x: 20, y: 20 }); // …and sets it just after, inside the window
    h.flush();
    h.time += LARGE_ROOM_ARRIVAL_MS;
    h.flush(); // a mover would be taken in by now
    expect(h.views.holds(me)?.has(j2)).toBe(false);
    h.time += LARGE_ROOM_NEWCOMER_MS - LARGE_ROOM_ARRIVAL_MS;
    h.flush();
    expect(h.views.holds(me)?.has(j2)).toBe(true);
    checkConvergence(h);
  });

  it("takes a left-out member in when a member the full window held leaves it", () => {
    const { h, me } = largeRoomWithWindow();
    h.setView(me, squareView(100, 2));
    h.flush();
    const inside = cids.slice(1, 4) as [string, string, string];
    for (const [i, c] of inside.entries()) {
      h.time += 10;
      h.move(c, { x: 10 + i, y: 10 });
    }
    h.time += LARGE_ROOM_ARRIVAL_MS;
    h.flush();
    expect([...(h.views.holds(me) ?? [])].sort()).toEqual([me, inside[1], inside[2]].sort());
    expect(h.views.occupancy(me).omitted).toBe(1);
    h.time += 10;
    h.move(inside[2], { x: 500, y: 500 }); // out of the window: hidden, and inside[0] now fits
    h.flush();
    expect(h.views.holds(me)?.has(inside[2])).toBe(false);
    h.time += 2 * LARGE_ROOM_RESELECT_MS;
    h.flush();
    expect([...(h.views.holds(me) ?? [])].sort()).toEqual([me, inside[0], inside[1]].sort());
    expect(h.views.occupancy(me).omitted).toBe(0);
    checkConvergence(h);
  });

  it("in a large room lets an arrival into a full window in place of its least recently active member", () => {
    const { h, me } = largeRoomWithWindow();
    h.setView(me, squareView(100, 3));
    const inside = cids.slice(1, 4) as string[];
    for (const [i, c] of inside.entries()) {
      h.time += 10;
      h.move(c, { x: 10 + i, y: 10 }); // inside[0] the least recently active
    }
    h.flush();
    h.time += LARGE_ROOM_ARRIVAL_MS;
    h.flush();
    expect([...(h.views.holds(me) ?? [])].sort()).toEqual([me, ...inside].sort());
    expect(h.views.occupancy(me).omitted).toBe(0);
    const late = cids[4] as string;
    h.time += 10;
    h.move(late, { x: 50, y: 50 });
    h.time += LARGE_ROOM_ARRIVAL_MS;
    h.flush(); // its arrivals pass: the most recently active wins a place
    expect([...(h.views.holds(me) ?? [])].sort()).toEqual([me, inside[1], inside[2], late].sort());
    expect(h.views.occupancy(me).omitted).toBe(1);
    checkConvergence(h);
    // An arrival less recently active than everything held is left out, and counted.
    const quiet = cids[5] as string;
    h.time += 10;
    h.move(quiet, { x: 60, y: 60 });
    h.time += 10;
    for (const c of [inside[1], inside[2], late] as string[]) h.move(c, { x: 20, y: 20 });
    h.time += LARGE_ROOM_ARRIVAL_MS;
    h.flush();
    expect(h.views.holds(me)?.has(quiet)).toBe(false);
    expect(h.views.occupancy(me).omitted).toBe(2);
    // What the window holds is what re-selecting would choose.
    h.setView(me, squareView(100, 3));
    h.flush();
    expect([...(h.views.holds(me) ?? [])].sort()).toEqual([me, inside[1], inside[2], late].sort());
    expect(h.views.occupancy(me).omitted).toBe(2);
    checkConvergence(h);
  });
});
