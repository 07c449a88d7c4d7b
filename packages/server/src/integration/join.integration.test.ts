import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../test-support/dev-server.js";

let dev: DevServer;

const join = (room: string, user: string, resume: { cid?: string; epoch?: number } = {}) =>
  dev.join(room, user, { info: { name: user }, ...resume });

beforeAll(async () => {
  dev = await startDevServer();
});
afterAll(() => dev?.close());

describe("joining a room", () => {
  it("welcomes, sends the snapshot, then announces a fresh joiner with its first patch", async () => {
    const a = await join("join-1", "alice");
    const aid = a.welcome!.connectionId;
    expect(a.welcome).toMatchObject({ userId: "alice", epoch: 1, limits: { ratePerSecond: 20, burst: 5 } });
    // The room holds nothing for a fresh connection: it is announced by its first patch
    // (ENTER_DEFER_MS), so peers never see an empty enter followed by the real state.
    expect(a.replica.get(aid)).toBeUndefined();
    a.update({ status: "idle" });
    await a.waitFor(() => a.replica.get(aid)?.clock === 1, 5000, "alice's own enter");
    expect(a.replica.get(aid)).toMatchObject({
      userId: "alice",
      epoch: 1,
      clock: 1,
      state: { status: "idle" },
    });

    const b = await join("join-1", "bob");
    expect(b.replica.get(aid)).toMatchObject({ userId: "alice", state: { status: "idle" } });
    // Bob sends nothing: he is announced, empty, once the deferral runs out.
    await a.waitFor(() => a.replica.size === 2, 5000, "alice to see bob");
    expect(a.replica.get(b.welcome!.connectionId)).toMatchObject({
      userId: "bob",
      info: { name: "bob" },
      state: {},
    });
    const bobEvents = a.events.filter((e) => e.connectionId === b.welcome!.connectionId);
    expect(bobEvents.map((e) => e.kind)).toEqual(["enter"]);

    a.update({ cursor: { x: 0.25, y: 0.5 }, status: "editing" });
    await b.waitFor(() => b.others().get(aid)?.status === "editing", 5000, "bob to see alice");
    expect(b.others().get(aid)).toEqual({ cursor: { x: 0.25, y: 0.5 }, status: "editing" });
    // The sender's own update comes back as the ack, with clock 2.
    await a.waitFor(() => a.replica.get(aid)?.clock === 2, 5000, "alice's ack");
  });

  it("shows a cleanly closed client leaving with reason left", async () => {
    const a = await join("join-2", "alice");
    const b = await join("join-2", "bob");
    await a.waitFor(() => a.replica.size === 2);
    await b.close();
    await a.waitFor(() => a.replica.size === 1, 5000, "bob to leave");
    expect(a.events.at(-1)).toMatchObject({
      kind: "leave",
      connectionId: b.welcome!.connectionId,
      reason: "left",
    });
  });

  it("serves health, readiness and metrics", async () => {
    expect((await fetch(`${dev.server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${dev.server.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${dev.server.url}/metrics`)).text();
    expect(metrics).toContain("presence_connections");
    expect(metrics).toMatch(/presence_updates_in_total [1-9]/);
  });
});
