// connectionId binding, epochs and leaves (PROTOCOL.md §5, §6; COMMON wire semantics).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../test-support/dev-server.js";
import { randomConnectionId, type TestClient } from "../test-support/test-client.js";

let dev: DevServer;

beforeAll(async () => {
  // Short liveness timings so expiry tests run in about a second.
  dev = await startDevServer({ heartbeatMs: 300, ghostGraceMs: 600 });
});
afterAll(() => dev?.close());

type Resume = { cid?: string; epoch?: number };
const open = (room: string, user: string, resume: Resume = {}) => dev.open(room, user, resume);
const join = (room: string, user: string, resume: Resume = {}) => dev.join(room, user, resume);
const cidOf = (c: TestClient) => c.welcome!.connectionId;

describe("connectionId binding", () => {
  it("refuses another user's connectionId with CONNECTION_ID_TAKEN", async () => {
    const alice = await join("id-1", "alice");
    const mallory = await open("id-1", "mallory", { cid: cidOf(alice) });
    expect((await mallory.closed).code).toBe(4011);
    expect(mallory.errors[0]?.code).toBe("CONNECTION_ID_TAKEN");
    expect(alice.ws.readyState).toBe(alice.ws.OPEN);
  });

  it("replaces the first socket when the same connectionId connects again", async () => {
    const watcher = await join("id-2", "bob");
    const cid = randomConnectionId();
    const first = await join("id-2", "alice", { cid });
    first.update({ status: "editing" });
    await watcher.waitFor(() => watcher.others().get(cid)?.status === "editing");
    const second = await join("id-2", "alice", { cid, epoch: first.welcome!.epoch });
    expect((await first.closed).code).toBe(4009);
    expect(first.errors[0]?.code).toBe("SESSION_REPLACED");
    expect(second.welcome!.epoch).toBe(first.welcome!.epoch + 1);
    // The state carries over into the new epoch.
    expect(second.replica.get(cid)?.state).toEqual({ status: "editing" });
    await watcher.waitFor(() => watcher.replica.get(cid)?.epoch === second.welcome!.epoch);
    expect(
      watcher.events.filter((e) => e.connectionId === cid && e.kind !== "update").map((e) => e.kind),
    ).toEqual(["enter"]);
  });
});

describe("epochs and reconnects", () => {
  it("gives a reconnect with the same connectionId a higher epoch and no leave/enter at peers", async () => {
    const watcher = await join("id-3", "bob");
    const cid = randomConnectionId();
    const first = await join("id-3", "alice", { cid });
    first.update({ cursor: { x: 0.1, y: 0.2 } });
    await watcher.waitFor(() => watcher.others().get(cid)?.cursor !== undefined);
    first.terminate(); // dropped without a close frame: the entry waits for the reconnect
    await first.closed;
    const again = await join("id-3", "alice", { cid, epoch: first.welcome!.epoch });
    expect(again.welcome!.epoch).toBeGreaterThan(first.welcome!.epoch);
    again.update({ cursor: { x: 0.3, y: 0.4 } });
    await watcher.waitFor(() => (watcher.others().get(cid)?.cursor as { x: number })?.x === 0.3);
    await new Promise((r) => setTimeout(r, 800)); // past the ghost grace: nothing more may happen
    const kinds = watcher.events.filter((e) => e.connectionId === cid).map((e) => e.kind);
    expect(kinds).toEqual(["enter", "update", "update"].slice(0, kinds.length));
    expect(kinds).not.toContain("leave");
    expect(watcher.events.filter((e) => e.connectionId === cid && e.kind === "enter")).toHaveLength(1);
  });

  it("never reuses an epoch, even when the client asks for an old one", async () => {
    const cid = randomConnectionId();
    const a = await join("id-4", "alice", { cid, epoch: 7 });
    expect(a.welcome!.epoch).toBe(8);
    await a.close();
    const b = await join("id-4", "alice", { cid, epoch: 0 });
    expect(b.welcome!.epoch).toBe(9);
  });

  it("numbers accepted patches 1, 2, … within an epoch", async () => {
    const a = await join("id-5", "alice");
    for (let i = 0; i < 3; i++) a.update({ n: i });
    await a.waitFor(() => a.replica.get(cidOf(a))?.clock === 3);
    expect(a.replica.get(cidOf(a))?.state).toEqual({ n: 2 });
  });
});

describe("leaving", () => {
  it("expires a dropped socket after the grace period when it does not come back", async () => {
    const watcher = await join("id-6", "bob");
    const a = await join("id-6", "alice");
    await watcher.waitFor(() => watcher.replica.size === 2);
    a.terminate();
    await watcher.waitFor(() => watcher.replica.size === 1, 5000, "the dropped socket to expire");
    expect(watcher.events.at(-1)).toMatchObject({ kind: "leave", connectionId: cidOf(a), reason: "expired" });
  });

  it("expires a silent socket after two missed pings", async () => {
    const watcher = await join("id-7", "bob");
    const a = await join("id-7", "alice");
    await watcher.waitFor(() => watcher.replica.size === 2);
    // Stop answering pings: ws answers automatically, so cut the read side instead.
    a.pause();
    await watcher.waitFor(() => watcher.replica.size === 1, 5000, "the silent socket to expire");
    expect(watcher.events.at(-1)).toMatchObject({ kind: "leave", connectionId: cidOf(a), reason: "expired" });
  });
});
