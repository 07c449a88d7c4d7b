// Views and occupancy (PROTOCOL.md §8) end to end in dev mode: real sockets, the
// real edge. Convergence is checked against the server's own record of what
// each connection holds: a client's replica must equal it, each entry at the
// room's state.
import { encodeViewParam, MessageType, peerStatesEqual, type ViewSpec } from "@collabblocks/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../test-support/dev-server.js";
import type { TestClient } from "../test-support/test-client.js";

let dev: DevServer;
let large: DevServer;

beforeAll(async () => {
  dev = await startDevServer();
  large = await startDevServer({ largeRoomThreshold: 5 });
});
afterAll(async () => {
  await dev?.close();
  await large?.close();
});

const WINDOW: ViewSpec = {
  everyone: false,
  rect: { x0: 0, y0: 0, x1: 1000, y1: 1000 },
  field: "pos",
  pinned: [],
  cap: 100,
  roster: 0,
};

function cid(c: TestClient): string {
  return c.welcome?.connectionId as string;
}

/** The client holds exactly what the server says its view holds, at the room's state. */
function converged(server: DevServer, room: string, c: TestClient): boolean {
  const edgeRoom = server.server.edge.room(room);
  const holds = edgeRoom?.views.holds(cid(c));
  if (edgeRoom === undefined || holds === undefined) return false;
  const mine = [...c.replica.peers()];
  if (mine.length !== holds.size) return false;
  return mine.every((p) => {
    const truth = edgeRoom.replica.get(p.connectionId);
    return holds.has(p.connectionId) && truth !== undefined && peerStatesEqual(p, truth);
  });
}

async function placed(
  server: DevServer,
  room: string,
  user: string,
  x: number,
  y: number,
): Promise<TestClient> {
  const c = await server.join(room, user);
  c.update({ pos: { x, y } });
  await c.waitFor(() => c.replica.get(cid(c))?.clock === 1, 5000, `${user}'s own enter`);
  return c;
}

describe("views in a small room", () => {
  it("sends a client with a window only what is inside it, enters and hides as members move, with occupancy", async () => {
    const room = "views-small-1";
    const inside = await placed(dev, room, "inside", 100, 100);
    const outside = await placed(dev, room, "outside", 5000, 5000);
    const me = await placed(dev, room, "me", 500, 500);
    await me.waitFor(() => me.replica.size === 3, 5000, "everyone before the view");

    me.send({ type: MessageType.SET_VIEW, view: WINDOW });
    await me.waitFor(() => me.replica.size === 2 && converged(dev, room, me), 5000, "the window's snapshot");
    expect(me.replica.get(cid(outside))).toBeUndefined();
    expect(me.replica.get(cid(inside))).toBeDefined();
    await me.waitFor(() => me.occupancy?.connections === 3, 5000, "occupancy");
    expect(me.occupancy).toMatchObject({ connections: 3, users: 3, omitted: 0 });

    outside.update({ pos: { x: 900, y: 900 } }); // comes into the window
    inside.update({ pos: { x: 3000, y: 100 } }); // leaves it, beyond the margin
    await me.waitFor(
      () => me.replica.get(cid(outside)) !== undefined && me.replica.get(cid(inside)) === undefined,
      5000,
      "enter and hide",
    );
    expect(converged(dev, room, me)).toBe(true);
    // The others still see everyone: small rooms are unchanged for clients without a view.
    await inside.waitFor(() => inside.replica.size === 3, 5000, "inside sees everyone");
    expect(inside.occupancy).toBeUndefined();

    me.send({ type: MessageType.SET_VIEW, view: null }); // back to everyone
    await me.waitFor(() => me.replica.size === 3, 5000, "everyone again");
  });

  it("refuses a bad view with INVALID_VIEW and too many view changes with RATE_LIMITED, changing nothing", async () => {
    const room = "views-small-2";
    const peer = await placed(dev, room, "peer", 10, 10);
    const me = await placed(dev, room, "me", 20, 20);
    me.send({ type: MessageType.SET_VIEW, view: { ...WINDOW, rect: { x0: 10, y0: 0, x1: 0, y1: 5 } } });
    me.send({
      type: MessageType.SET_VIEW,
      view: { ...WINDOW, pinned: Array.from({ length: 65 }, (_, i) => `u${i}`) },
    });
    me.send({ type: MessageType.SET_VIEW, view: { ...WINDOW, field: "" } });
    await me.waitFor(() => me.errors.length === 3, 5000, "three refusals");
    expect(me.errors.map((e) => e.code)).toEqual(["INVALID_VIEW", "INVALID_VIEW", "INVALID_VIEW"]);
    expect(dev.server.edge.room(room)?.views.isEveryone(cid(me))).toBe(true);
    for (let i = 0; i < 15; i++) me.send({ type: MessageType.SET_VIEW, view: WINDOW });
    await me.waitFor(() => me.errors.some((e) => e.code === "RATE_LIMITED"), 5000, "rate limit");
    expect(me.ws.readyState).toBe(me.ws.OPEN);
    expect(peer.errors).toEqual([]);
  });
});

describe("a view declared at join", () => {
  it("shapes the join snapshot itself (O(view) from the first byte); a bad one is refused and the join goes on", async () => {
    const room = "views-url-1";
    await placed(dev, room, "near", 10, 10);
    await placed(dev, room, "far", 9000, 9000);
    const view = { ...WINDOW, rect: { x0: 0, y0: 0, x1: 100, y1: 100 } };
    const me = await dev.join(room, "me", { view: encodeViewParam(view), record: true });
    expect([...me.replica.peers()].map((p) => p.userId)).toEqual(["near"]);
    const snapshots = me.messages.filter((m) => m.type === MessageType.SNAPSHOT_CHUNK);
    expect(snapshots).toHaveLength(1); // one snapshot: the view's, not everyone's then the view's
    expect(converged(dev, room, me)).toBe(true);

    const bad = await dev.join(room, "bad", { view: "%%%" });
    expect(bad.errors.map((e) => e.code)).toEqual(["INVALID_VIEW"]);
    expect(bad.replica.size).toBe(2); // the room's default: everyone
  });
});

describe("views in a large room", () => {
  it("sends a connection without a view itself and the roster sample, never all N, with exact occupancy", async () => {
    const room = "views-large-1";
    const clients: TestClient[] = [];
    for (let i = 0; i < 26; i++) clients.push(await placed(large, room, `user-${i}`, i * 10, i * 10));
    const last = clients.at(-1) as TestClient;
    await last.waitFor(() => last.occupancy?.connections === 26, 5000, "occupancy of 26");
    expect(last.occupancy).toMatchObject({ connections: 26, users: 26 });
    for (const c of [clients[0], clients[10], last] as TestClient[]) {
      await c.waitFor(() => converged(large, room, c), 5000, "converged");
      expect(c.replica.size).toBeLessThanOrEqual(21); // roster 20 + self
    }
    // A window declared in a large room: O(view) snapshot of what it covers.
    const viewer = clients[5] as TestClient;
    viewer.send({ type: MessageType.SET_VIEW, view: { ...WINDOW, rect: { x0: 0, y0: 0, x1: 35, y1: 35 } } });
    await viewer.waitFor(() => converged(large, room, viewer) && viewer.replica.size === 5, 5000, "window");
    expect([...viewer.replica.peers()].map((p) => p.userId).sort()).toEqual([
      "user-0",
      "user-1",
      "user-2",
      "user-3",
      "user-5",
    ]);
  });
});
