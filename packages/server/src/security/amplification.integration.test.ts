// Attack: 4-byte SYNC_REQUESTs for a large room (docs/SECURITY.md#amplification).
// One a second is inside the request budget, and each used to return the whole
// room: ~780 KB per request here. The snapshot byte budget bounds what one
// connection is sent over t seconds by 1 MiB + 256 KiB × t plus one snapshot.
import { MessageType } from "@collabblocks/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { createPresenceServer, type PresenceServer } from "../index.js";
import { SNAPSHOT_BYTES } from "../limits/snapshot-budget.js";
import { createDevClients } from "../test-support/dev-server.js";

const servers: PresenceServer[] = [];
const clients = createDevClients();
afterEach(async () => {
  clients.terminateAll();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const PEERS = 400;
const SECONDS = 8;

describe("sync amplification", () => {
  it("bounds the snapshot bytes one connection can pull by the byte budget, not the room size", async () => {
    const server = await createPresenceServer({ auth: "dev", port: 0 });
    servers.push(server);
    const peers = await Promise.all(
      Array.from({ length: PEERS }, (_, i) => clients.join(server, "amp", `peer-${i}`)),
    );
    for (const [i, p] of peers.entries()) p.update({ cursor: { x: i / PEERS, y: 0 }, bio: "b".repeat(1800) });
    let snapshotBytes = 0;
    let requests = 0;
    let largest = 0;
    const attacker = await clients.join(server, "amp", "attacker", {
      onMessage: (msg) => {
        if (msg.type === MessageType.SNAPSHOT_DONE && msg.syncId !== 0) requests++;
      },
    });
    await attacker.waitFor(() => attacker.others().size === PEERS, 10_000, "every peer's state");
    // Count the bytes of snapshot frames from here on (the join snapshot is spent already).
    attacker.ws.on("message", (data: Buffer) => {
      if (
        data[1] === 0xcc &&
        (data[2] === MessageType.SNAPSHOT_CHUNK || data[2] === MessageType.SNAPSHOT_DONE)
      ) {
        snapshotBytes += data.length;
        largest = Math.max(largest, data.length);
      }
    });
    const started = performance.now();
    let syncId = 1;
    const timer = setInterval(
      () => attacker.send({ type: MessageType.SYNC_REQUEST, syncId: syncId++ }),
      1000,
    );
    attacker.send({ type: MessageType.SYNC_REQUEST, syncId: syncId++ });
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    clearInterval(timer);
    const t = (performance.now() - started) / 1000;
    const roomBytes = PEERS * 1900;
    const bound = SNAPSHOT_BYTES.burst + SNAPSHOT_BYTES.ratePerSecond * t + roomBytes;
    const summary =
      `${syncId - 1} requests of 4–5 bytes in ${t.toFixed(1)} s, ${requests} answered, ` +
      `${(snapshotBytes / 1e6).toFixed(2)} MB of snapshots (bound ${(bound / 1e6).toFixed(2)} MB; ` +
      `without the budget ${(((syncId - 1) * roomBytes) / 1e6).toFixed(2)} MB)`;
    console.log(`amplification: ${summary}`);
    expect(snapshotBytes, summary).toBeLessThanOrEqual(bound);
    expect(requests, summary).toBeGreaterThan(0); // an honest request is still answered
    expect(requests, summary).toBeLessThan(syncId - 1);
  }, 60_000);
});
