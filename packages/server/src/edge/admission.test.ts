import type { PeerState } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { type AdmissionRoom, admit } from "./admission.js";
import type { KnownConnection } from "./known-connections.js";

function room(
  peers: PeerState[] = [],
  known: Record<string, KnownConnection> = {},
  members: string[] = [],
): AdmissionRoom<string> {
  return {
    replica: { get: (cid) => peers.find((p) => p.connectionId === cid) },
    known: (cid) => known[cid],
    members: new Map(members.map((m) => [m, `socket-${m}`])),
  };
}
const peer = (cid: string, userId: string, epoch: number): PeerState => ({
  connectionId: cid,
  userId,
  info: undefined,
  epoch,
  clock: 3,
  state: {},
});
const newId = () => "fresh-id-aaaaaaaaaaaa";

describe("admit", () => {
  it("gives a connection without cid a fresh id at epoch 1", () => {
    expect(admit(room(), { connectionId: undefined, epoch: 0, userId: "ann" }, 10, newId)).toEqual({
      ok: true,
      connectionId: "fresh-id-aaaaaaaaaaaa",
      epoch: 1,
      peer: undefined,
      replaces: undefined,
    });
  });

  it("resumes an id at an epoch above the client's, the room's and the remembered one", () => {
    const r = room([peer("c1", "ann", 4)], { c1: { userId: "ann", epoch: 6 } });
    const a = admit(r, { connectionId: "c1", epoch: 2, userId: "ann" }, 10, newId);
    expect(a).toMatchObject({ ok: true, connectionId: "c1", epoch: 7, peer: { epoch: 4 } });
    expect(admit(r, { connectionId: "c1", epoch: 9, userId: "ann" }, 10, newId)).toMatchObject({ epoch: 10 });
  });

  it("refuses an id the room or its memory binds to another user", () => {
    expect(
      admit(room([peer("c1", "ann", 1)]), { connectionId: "c1", epoch: 0, userId: "bob" }, 10, newId),
    ).toMatchObject({ ok: false, code: "CONNECTION_ID_TAKEN" });
    expect(
      admit(
        room([], { c1: { userId: "ann", epoch: 1 } }),
        { connectionId: "c1", epoch: 0, userId: "bob" },
        10,
        newId,
      ),
    ).toMatchObject({ ok: false, code: "CONNECTION_ID_TAKEN" });
  });

  it("refuses a newcomer to a full room but lets a live id replace its socket", () => {
    const full = room([peer("c1", "ann", 1)], {}, ["c1", "c2"]);
    expect(admit(full, { connectionId: undefined, epoch: 0, userId: "cat" }, 2, newId)).toMatchObject({
      ok: false,
      code: "ROOM_FULL",
    });
    expect(admit(full, { connectionId: "c1", epoch: 1, userId: "ann" }, 2, newId)).toMatchObject({
      ok: true,
      replaces: "socket-c1",
      epoch: 2,
    });
  });
});
