import { describe, expect, it } from "vitest";
import type { PeerState } from "./messages.js";
import { PresenceReplica } from "./replica.js";

const cid = "conn-aaaaaaaaaaaa";
const enter = (epoch: number, clock: number, state = {}) =>
  ({ kind: "enter", connectionId: cid, userId: "u1", info: undefined, epoch, clock, state }) as const;
const update = (epoch: number, base: number, clock: number, set = {}, del: string[] = []) =>
  ({ kind: "update", connectionId: cid, epoch, base, clock, set, del }) as const;

describe("PresenceReplica", () => {
  it("applies an update whose base is at or below the known clock", () => {
    const r = new PresenceReplica();
    r.apply(enter(1, 0));
    expect(r.apply(update(1, 0, 1, { a: 1 })).kind).toBe("updated");
    expect(r.apply(update(1, 0, 3, { a: 3 })).kind).toBe("updated"); // coalesced, overlapping
    expect(r.get(cid)).toMatchObject({ clock: 3, state: { a: 3 } });
  });

  it("drops an update older than the known clock", () => {
    const r = new PresenceReplica();
    r.apply(enter(1, 5, { a: 5 }));
    expect(r.apply(update(1, 3, 4, { a: 4 })).kind).toBe("stale");
    expect(r.get(cid)?.state).toEqual({ a: 5 });
  });

  it("reports a gap when clocks are missing, the enter is missing, or the epoch is newer", () => {
    const r = new PresenceReplica();
    expect(r.apply(update(1, 0, 1)).kind).toBe("gap");
    r.apply(enter(1, 0));
    expect(r.apply(update(1, 2, 3)).kind).toBe("gap");
    expect(r.apply(update(2, 0, 1)).kind).toBe("gap");
  });

  it("replaces the state on an enter of a newer epoch and ignores an older one", () => {
    const r = new PresenceReplica();
    r.apply(enter(2, 0, { a: 2 }));
    expect(r.apply(enter(1, 9, { a: 1 })).kind).toBe("stale");
    const out = r.apply(enter(3, 0, { a: 3 }));
    expect(out.kind).toBe("entered");
    expect(out.kind === "entered" && out.previous?.state).toEqual({ a: 2 });
  });

  it("ignores a leave of an older epoch", () => {
    const r = new PresenceReplica();
    r.apply(enter(2, 0));
    expect(r.apply({ kind: "leave", connectionId: cid, epoch: 1, clock: 0, reason: "left" }).kind).toBe(
      "stale",
    );
    expect(r.size).toBe(1);
  });

  it("removes connections a snapshot lacks and keeps old messages from bringing them back", () => {
    const r = new PresenceReplica();
    r.apply(enter(1, 2, { a: 1 }));
    const other: PeerState = {
      connectionId: "conn-bbbbbbbbbbbb",
      userId: "u2",
      info: { n: 1 },
      epoch: 1,
      clock: 0,
      state: {},
    };
    const changes = r.applySnapshot([other]);
    expect(changes.map((c) => c.kind)).toEqual(["removed", "entered"]);
    expect(r.apply(enter(1, 2, { a: 1 })).kind).toBe("stale");
    expect(r.apply(enter(1, 3, { a: 1 })).kind).toBe("entered");
  });
});

describe("authoritative snapshots", () => {
  it("bring back a member an earlier snapshot removed, at the same version; plain ones keep the floor", () => {
    const peer = { connectionId: "c0", userId: "u", info: undefined, epoch: 1, clock: 1, state: {} };
    const self = { ...peer, connectionId: "me" };
    for (const authoritative of [true, false]) {
      const r = new PresenceReplica();
      r.applySnapshot([peer, self], { authoritative });
      r.applySnapshot([self], { authoritative }); // a view dropped c0
      r.applySnapshot([peer, self], { authoritative }); // and took it back
      expect(r.get("c0") !== undefined).toBe(authoritative);
    }
  });
});
