// 100 clients in one room send random patches; every view ends equal to the
// senders' states. A client joining mid-traffic gets a multi-chunk snapshot and
// converges too (PROTOCOL.md §5, §6).
import { MessageType, type PresenceData } from "@collabblocks/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../test-support/dev-server.js";
import type { TestClient } from "../test-support/test-client.js";

const CLIENTS = 100;
const PATCHES_PER_CLIENT = 12;
/** Spacing of one client's patches, ms: 20 Hz, like the SDK's sustained rate. */
const SEND_INTERVAL_MS = 55;

let dev: DevServer;

beforeAll(async () => {
  dev = await startDevServer();
});
afterAll(() => dev?.close());

/** Deterministic PRNG so a failure can be replayed. */
function createRandom(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomPatch(rand: () => number, i: number): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  if (rand() < 0.7) patch.cursor = rand() < 0.1 ? null : { x: Math.round(rand() * 1280) / 1280, y: rand() };
  if (rand() < 0.3) patch.status = ["idle", "editing", "commenting"][Math.floor(rand() * 3)];
  if (rand() < 0.3) patch[`k${Math.floor(rand() * 4)}`] = rand() < 0.3 ? undefined : { i, v: rand() };
  // Mid-run, every state grows to ~900 bytes so the room snapshot needs several 64 KB chunks.
  if (i === 4) patch.bio = "b".repeat(900);
  return patch;
}

const join = (room: string, user: string, record = false) =>
  dev.join(room, user, { info: { name: user }, record });

function viewsMatch(viewer: TestClient, senders: readonly TestClient[]): boolean {
  const others = viewer.others();
  if (others.size !== senders.length - 1) return false;
  for (const s of senders) {
    if (s === viewer) continue;
    const seen = others.get(s.welcome!.connectionId);
    if (!seen || JSON.stringify(sorted(seen)) !== JSON.stringify(sorted(s.local))) return false;
  }
  return true;
}
const sorted = (state: PresenceData) =>
  Object.fromEntries(Object.entries(state).sort(([a], [b]) => (a < b ? -1 : 1)));

describe("convergence", () => {
  it("brings 100 clients sending random patches to identical views, including a mid-traffic joiner", async () => {
    const room = "converge-1";
    const senders: TestClient[] = [];
    for (let i = 0; i < CLIENTS; i++) senders.push(await join(room, `user-${i}`));
    for (const s of senders)
      await s.waitFor(() => s.replica.size === CLIENTS, 15_000, "everyone to be present");

    const sending = senders.map(async (s, n) => {
      const rand = createRandom(n + 1);
      await new Promise((r) => setTimeout(r, rand() * SEND_INTERVAL_MS));
      for (let i = 0; i < PATCHES_PER_CLIENT; i++) {
        s.update(randomPatch(rand, i));
        await new Promise((r) => setTimeout(r, SEND_INTERVAL_MS));
      }
    });
    // Join while traffic flows, after the states have grown.
    await new Promise((r) => setTimeout(r, SEND_INTERVAL_MS * 7));
    const joiner = await join(room, "late-joiner", true);
    await Promise.all(sending);

    for (const s of senders) expect(s.errors).toEqual([]);
    const everyone = [...senders, joiner];
    for (const viewer of everyone) {
      // The joiner never sends: its state is {} like its `local`, so it is part of every view too.
      await viewer.waitFor(() => viewsMatch(viewer, everyone), 20_000, "views to converge");
    }
    // Every sender's own entry is acked at the clock of its last patch.
    for (const s of senders) expect(s.replica.get(s.welcome!.connectionId)?.clock).toBe(PATCHES_PER_CLIENT);
    const joinChunks = joiner.messages.filter((m) => m.type === MessageType.SNAPSHOT_CHUNK && m.syncId === 0);
    expect(joinChunks.length).toBeGreaterThanOrEqual(2);
    const done = joiner.messages.find((m) => m.type === MessageType.SNAPSHOT_DONE);
    // Every sender; not the joiner itself, which is announced with its first patch.
    expect(done).toMatchObject({ syncId: 0, total: CLIENTS });
  });
});
