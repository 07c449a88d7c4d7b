// Revisions 3 and 4 (PROTOCOL.md §4 "Revision 3: aliases and compact moves", "Revision 4")
// end to end: a real `collabblocks dev` process, one room, clients reading revisions 2, 3 and 4. Senders
// move cursors, set other fields, reconnect under a new epoch and leave; every client's
// replica converges to the same room, and the revision-3 readers get fewer bytes for it.
import { afterAll, describe, expect, it } from "vitest";
import { type CliProcess, startCliProcess } from "../../../../test-support/cli-process.js";
import { waitUntil } from "../../../../test-support/wait-until.js";
import { connectTestClient, fetchDevToken, type TestClient } from "../test-support/test-client.js";

const ROOM = "compact-entries";
const clients: TestClient[] = [];
let server: CliProcess | undefined;
afterAll(async () => {
  for (const c of clients) c.terminate();
  await server?.stop();
});

async function connect(user: string, rev: number, options: { key?: string; epoch?: number } = {}) {
  const token = await fetchDevToken(server!.url, { room: ROOM, user });
  const c = connectTestClient({
    url: server!.url.replace(/^http/, "ws"),
    room: ROOM,
    token,
    rev,
    ...options,
  });
  clients.push(c);
  await c.ready;
  return c;
}

/** The room as a client holds it: every connection (itself included) with its state. */
function roomOf(c: TestClient): string {
  const peers = [...c.replica.peers()].map((p) => [p.connectionId, p.epoch, p.state] as const);
  return JSON.stringify(peers.sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

describe("revision 3 against a real dev server", () => {
  it("converges revision-2 and revision-3 readers through moves, other fields, a reconnect and a leave", async () => {
    server = await startCliProcess(["dev", "--port", "0"]);
    const old = await connect("old-reader", 2);
    const now = await connect("new-reader", 3);
    const ratio = await connect("ratio-reader", 4); // revision 4: moves of pixel / size as ratios
    const key = "moverSecretKeyAAAAAAAAA";
    let mover = await connect("mover", 3, { key });
    const other = await connect("other", 2);
    for (let i = 1; i <= 40; i++) {
      mover.update({ cursor: { x: i / 64, y: 523 / 1280 } });
      other.update({ cursor: { x: 0.5, y: i / 100 } });
      if (i % 10 === 0) mover.update({ status: `step-${i}` });
      await new Promise((r) => setTimeout(r, 30));
    }
    // A reconnect: the same identity under a newer epoch gets a new alias.
    const epoch = mover.welcome!.epoch;
    mover.terminate();
    mover = await connect("mover", 3, { key, epoch });
    mover.update({ cursor: { x: 0.25, y: 0.75 }, status: "back" });
    await other.close(1000); // a leave
    const late = await connect("late-reader", 3); // its snapshot announces every alias it holds
    mover.update({ cursor: { x: 0.125, y: 0.5 } });
    const readers = [old, now, ratio, late];
    const settled = () => new Set(readers.map(roomOf)).size === 1 && roomOf(now).includes('"x":0.125');
    await waitUntil("every reader holds the same room", settled, 15_000);
    expect(now.replica.get(mover.welcome!.connectionId)?.state).toEqual({
      cursor: { x: 0.125, y: 0.5 },
      status: "back",
    });
    expect(now.replica.get(mover.welcome!.connectionId)?.epoch).toBe(epoch + 1);
    for (const c of [...readers, mover]) expect(c.errors).toEqual([]);
    // The same entries, fewer bytes: ~100 moves and their enters reach both readers.
    expect(now.bytesReceived).toBeLessThan(old.bytesReceived * 0.7);
    // Revision 4: the mover's y = 523/1280 goes as a ratio (9 B for both coordinates, not 14).
    expect(ratio.bytesReceived).toBeLessThan(now.bytesReceived - 40 * 4);
  }, 60_000);
});
