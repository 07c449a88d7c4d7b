// Simulated participants of `collabblocks dev` (POST /v1/dev/simulate): real
// sockets through the real edge; a viewer sees them move and counts them.
import { MessageType } from "@collabblocks/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../test-support/dev-server.js";

let dev: DevServer;
beforeAll(async () => {
  dev = await startDevServer({ largeRoomThreshold: 20 });
});
afterAll(() => dev?.close());

const simulate = async (body: unknown) => {
  const res = await fetch(`${dev.server.url}/v1/dev/simulate`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { simulated?: number; error?: string } };
};

describe("POST /v1/dev/simulate", () => {
  it("adds moving participants that a viewer counts and sees in its window, and clears them", async () => {
    const room = "sim-1";
    const viewer = await dev.join(room, "viewer");
    viewer.send({
      type: MessageType.SET_VIEW,
      view: {
        everyone: false,
        rect: { x0: 0, y0: 0, x1: 1, y1: 1 },
        field: "cursor",
        pinned: [],
        cap: 30,
        roster: 0,
      },
    });
    expect(await simulate({ room, count: 50 })).toEqual({ status: 200, body: { room, simulated: 50 } });
    await viewer.waitFor(() => viewer.occupancy?.connections === 51, 10_000, "occupancy of 51");
    expect(viewer.occupancy).toMatchObject({ connections: 51, users: 51 });
    // The window's cap of 30, and the viewer itself (announced, empty, after a second).
    const holds = () => dev.server.edge.room(room)?.views.holds(viewer.welcome!.connectionId);
    await viewer.waitFor(() => viewer.replica.size === 31 && holds()?.size === 31, 10_000, "a full window");
    for (const p of viewer.replica.peers()) expect(holds()?.has(p.connectionId)).toBe(true);

    expect(await simulate({ room, clear: true })).toEqual({ status: 200, body: { room, simulated: 0 } });
    await viewer.waitFor(() => viewer.occupancy?.connections === 1, 10_000, "the simulated gone");
  });

  it("refuses bad requests with 400 and changes nothing", async () => {
    expect((await simulate({ room: "bad room!", count: 1 })).status).toBe(400);
    expect((await simulate({ room: "sim-2", count: -1 })).status).toBe(400);
    expect((await simulate({ room: "sim-2", count: 1.5 })).status).toBe(400);
    expect((await simulate({ room: "sim-2", count: 0 })).body.simulated).toBe(0);
  });
});
