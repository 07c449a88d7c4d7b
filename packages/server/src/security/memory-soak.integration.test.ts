// Attack: clients that send but never read (docs/SECURITY.md#memory). Before the
// single write path, 20 such sockets sending one SYNC_REQUEST a second — inside
// the request budget — grew a dev server's RSS by ~6 MB/s and kept them alive
// forever, because any message counted as proof of life. Now replies are dropped
// for a socket that is behind, snapshots are owed and byte-budgeted, and liveness
// means pongs: RSS stays flat while honest clients are served.
//
// SOAK_SECONDS (default 40) and SOAK_ATTACKERS (default 20) size the run; the
// 5-minute figures in docs/SECURITY.md come from SOAK_SECONDS=300.
import { readFileSync } from "node:fs";
import { encode, MessageType, RTT_BUCKETS_MS } from "@collabblocks/protocol";
import { afterAll, describe, expect, it } from "vitest";
import { type CliProcess, startCliProcess } from "../../../../test-support/cli-process.js";
import { connectTestClient, fetchDevToken, type TestClient } from "../test-support/test-client.js";

const SECONDS = Number(process.env.SOAK_SECONDS ?? 40);
const ATTACKERS = Number(process.env.SOAK_ATTACKERS ?? 20);
/** Honest peers holding ~1.5 KB each: a ~380 KB room snapshot (the size of the room in the original finding) for attackers to ask for. */
const PEERS = 250;
const ROOM = "soak";

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return kb / 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("memory under non-reading attackers", () => {
  let server: CliProcess | undefined;
  const clients: TestClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.terminate();
    await server?.stop();
  });

  it(
    `keeps RSS flat for ${SECONDS} s with ${ATTACKERS} sockets that send every message type and never read`,
    async () => {
      server = await startCliProcess(["dev", "--port", "0"]);
      const pid = server.child.pid!;
      const wsUrl = server.url.replace(/^http/, "ws");
      const join = async (user: string): Promise<TestClient> => {
        const token = await fetchDevToken(server!.url, { room: ROOM, user });
        const c = connectTestClient({ url: wsUrl, room: ROOM, token });
        clients.push(c);
        await c.ready;
        return c;
      };
      for (let i = 0; i < PEERS; i++) {
        const peer = await join(`peer-${i}`);
        peer.update({ cursor: { x: i / PEERS, y: 0.5 }, bio: "b".repeat(1400) });
      }
      const sender = await join("sender");
      const watcher = await join("watcher");
      const attackerToken = await fetchDevToken(server.url, { room: ROOM, user: "attacker" });

      let connects = 0;
      let syncId = 1;
      const live = new Set<TestClient>();
      const attack = (): void => {
        const c = connectTestClient({ url: wsUrl, room: ROOM, token: attackerToken });
        clients.push(c);
        connects++;
        live.add(c);
        c.ws.once("open", () => c.pause()); // reads nothing, not even the welcome
        void c.closed.then(() => {
          live.delete(c);
          if (!stopping) attack(); // keep the pressure on: a closed attacker comes back
        });
      };
      let stopping = false;
      for (let i = 0; i < ATTACKERS; i++) attack();
      const barrage = setInterval(() => {
        for (const c of live) {
          if (c.ws.readyState !== c.ws.OPEN) continue;
          c.send({ type: MessageType.SYNC_REQUEST, syncId: syncId++ });
          c.send({ type: MessageType.PING, t: 1 });
          c.send({ type: MessageType.RTT_REPORT, counts: RTT_BUCKETS_MS.map(() => 0).concat(0) });
          c.send({
            type: MessageType.SET_VIEW,
            view: {
              everyone: false,
              rect: { x0: 0, y0: 0, x1: 1, y1: 1 },
              field: "cursor",
              pinned: [],
              cap: 100,
              roster: 10,
            },
          });
          c.send({ type: MessageType.UPDATE_PRESENCE, set: { cursor: { x: 0.5, y: 0.5 } }, del: [] });
          c.sendRaw(encode({ type: MessageType.PING, t: 2 }).subarray(0, 1)); // truncated: an ERROR each
          c.sendRaw("text frames are refused"); // an ERROR each
        }
      }, 1000);
      let tick = 0;
      const updates = setInterval(() => sender.update({ cursor: { x: (tick++ % 100) / 100, y: 0.1 } }), 100);

      const samples: number[] = [];
      const seenBefore = watcher.batches;
      try {
        for (let s = 0; s < SECONDS; s++) {
          await sleep(1000);
          samples.push(rssMb(pid));
        }
      } finally {
        stopping = true;
        clearInterval(barrage);
        clearInterval(updates);
      }
      const delivered = watcher.batches - seenBefore;
      for (const c of live) c.terminate();
      await sleep(3000);
      const after = rssMb(pid);

      // Flat: after the first quarter (the attackers' first snapshots, JIT, heap growth),
      // RSS stays within 10 % of the quarter mark, plus 10 MB for GC timing on a loaded machine.
      const mark = samples[Math.floor(SECONDS / 4)]!;
      const peak = Math.max(...samples.slice(Math.floor(SECONDS / 4)));
      const summary =
        `soak: ${SECONDS} s, ${ATTACKERS} attackers (${connects} connects), RSS at 25 % ${mark.toFixed(0)} MB, ` +
        `peak after ${peak.toFixed(0)} MB, end ${samples.at(-1)!.toFixed(0)} MB, 3 s after leaving ${after.toFixed(0)} MB; ` +
        `watcher got ${delivered} batches`;
      console.log(summary);
      expect(peak, summary).toBeLessThanOrEqual(mark * 1.1 + 10);
      expect(after, summary).toBeLessThanOrEqual(peak + 5);
      // Honest clients are served all along: the sender's 10 Hz updates reach the watcher.
      expect(delivered, summary).toBeGreaterThan(SECONDS * 5);
      // Non-readers do not live forever: each is expired and comes back.
      expect(connects, summary).toBeGreaterThan(ATTACKERS);
    },
    (SECONDS + 90) * 1000,
  );
});
