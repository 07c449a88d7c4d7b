import { type Connection, createConnection } from "@collabblocks/server/portable";
import { describe, expect, it } from "vitest";
import { attachmentOf, restoreInto } from "./attachment.js";

/** A connection as the object creates it; the room and socket are not touched here. */
function connectionAt(now: number): Connection {
  return createConnection({
    ws: {} as never,
    room: {} as never,
    ip: "127.0.0.1",
    connectionId: "c1-aaaaaaaaaaaaaaaa",
    userId: "alice",
    info: undefined,
    plan: "free",
    tokenExp: 2_000_000_000,
    epoch: 1,
    state: {},
    now,
  });
}

describe("socket attachment", () => {
  it("brings the patch buckets back after a wake, the average one included", () => {
    const conn = connectionAt(1000);
    conn.patches.tokens = 1;
    conn.patchAverage.tokens = 3; // a client that has been bunching its patches
    const a = JSON.parse(JSON.stringify(attachmentOf(conn, 1000, 1500)));
    const woken = connectionAt(9000);
    restoreInto(woken, a);
    expect(woken.patches).toEqual(conn.patches);
    expect(woken.patchAverage).toEqual(conn.patchAverage);
  });

  it("gives an attachment from before the average bucket a full one", () => {
    const conn = connectionAt(1000);
    const { patchAverage: _, ...old } = attachmentOf(conn, 1000, 1500);
    const woken = connectionAt(9000);
    restoreInto(woken, old);
    expect(woken.patchAverage).toEqual(connectionAt(9000).patchAverage);
  });
});
