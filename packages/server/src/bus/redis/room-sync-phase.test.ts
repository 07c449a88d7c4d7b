import { describe, expect, it } from "vitest";
import {
  JOINING,
  joinedPhase,
  moveTo,
  ROOM_SYNC_TRANSITIONS,
  type RoomSyncPhase,
  type RoomSyncPhaseKind,
  STOPPED,
  UNJOINED,
} from "./room-sync-phase.js";

const ALL: Record<RoomSyncPhaseKind, RoomSyncPhase> = {
  unjoined: UNJOINED,
  joining: JOINING,
  joined: joinedPhase(false),
  stopped: STOPPED,
};

describe("room sync phases", () => {
  it("allow exactly the transitions of the table and refuse every other", () => {
    for (const from of Object.keys(ALL) as RoomSyncPhaseKind[]) {
      for (const to of Object.keys(ALL) as RoomSyncPhaseKind[]) {
        const allowed = ROOM_SYNC_TRANSITIONS[from].includes(to);
        const move = () => moveTo(ALL[from], ALL[to]);
        if (allowed) expect(move()).toBe(ALL[to]);
        else expect(move, `${from} → ${to}`).toThrow(/not allowed/);
      }
    }
  });

  it("walk the join: unjoined → joining → joined, a failed join back to unjoined, stop from anywhere but stopped", () => {
    let p = moveTo(UNJOINED, JOINING);
    expect(moveTo(p, UNJOINED)).toBe(UNJOINED); // the join failed: the next tick retries
    p = moveTo(p, joinedPhase(false));
    p = moveTo(p, joinedPhase(true)); // an own entry was written
    expect(p).toEqual({ kind: "joined", ownUnread: true });
    for (const from of [UNJOINED, JOINING, p]) expect(moveTo(from, STOPPED)).toBe(STOPPED);
    expect(() => moveTo(STOPPED, STOPPED)).toThrow(); // final: stop() is idempotent by not moving
    expect(() => moveTo(STOPPED, joinedPhase(false))).toThrow(); // a late join result cannot revive it
  });
});
