// Encrypted presence keeps update order although sealing and opening are asynchronous
// (serial-queue.ts): slow earlier work is never overtaken, and random sequences converge.
import { jsonEqual, MessageType, type PresenceData, SEALED_KEY } from "@collabblocks/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encryptedPresence } from "./e2ee.js";
import type { PresenceKey } from "./e2ee-keys.js";
import { alice, newKey, until, updates } from "./test-support/e2ee-harness.js";
import { ALICE, createEcho, join, peer } from "./test-support/fake-server.js";
import { enterTestRoom } from "./test-support/room-harness.js";

describe("room: encrypted presence keeps order", () => {
  it("never lets a later update overtake an earlier one that decrypts slower", async () => {
    const old: PresenceKey = { key: await newKey(), id: 1 };
    const current: PresenceKey = { key: await newKey(), id: 2 };
    let releaseOld: (() => void) | undefined;
    const oldGate = new Promise<void>((resolve) => {
      releaseOld = resolve;
    });
    const resolver = async (id?: number) => {
      if (id === 1) await oldGate; // the receiver's lookup of the old key is slow
      return id === 1 ? old : current;
    };
    const t = await enterTestRoom({ encryption: encryptedPresence({ key: resolver }) });
    const socket = t.net.last();
    join(socket, { others: [peer(ALICE, {}, { clock: 0 })] });
    await until(t, "joined", () => t.room.getOther(ALICE) !== undefined);
    const first = await alice(async () => old)({ status: "first" });
    const second = await alice(async () => current)({ status: "second" });
    const update = (clock: number, set: PresenceData) => ({
      type: MessageType.BATCH,
      entries: [
        { kind: "update" as const, connectionId: ALICE, epoch: 1, base: clock - 1, clock, set, del: [] },
      ],
    });
    socket.deliver(update(1, first.set));
    socket.deliver(update(2, second.set));
    for (let i = 0; i < 20; i++) await t.clock.settle(); // the second's decryption finishes meanwhile
    expect(t.room.getOther(ALICE)?.status).toBeUndefined(); // the second waits for the first
    releaseOld!();
    await until(t, "both applied", () => t.room.getOther(ALICE)?.status === "second");
    const seen = t.others.map((o) => o.list.find((u) => u.connectionId === ALICE)?.status).filter(Boolean);
    expect(seen).toEqual(["first", "second"]);
    expect(t.decryptErrors).toEqual([]);
  });

  it("sends patches in call order even when an earlier one seals slower", async () => {
    const key = await newKey();
    let calls = 0;
    let release: (() => void) | undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const resolver = async () => {
      if (++calls === 1) await gate; // the first update's sealing is slow
      return { key, id: 3 };
    };
    const t = await enterTestRoom({ initialPresence: {}, encryption: encryptedPresence({ key: resolver }) });
    const socket = t.net.last();
    const welcome = join(socket);
    createEcho(socket, welcome);
    await until(t, "joined", () => t.room.getStatus() === "connected");
    t.room.updatePresence({ status: "one" });
    t.room.updatePresence({ cursor: { x: 0.5, y: 0.5 } }); // clear, but must not overtake "one"
    for (let i = 0; i < 20; i++) await t.clock.advance(16);
    expect(updates(t)).toEqual([]);
    release!();
    await until(t, "both sent", () => Object.keys(updates(t).at(-1)?.set ?? {}).includes("cursor"));
    const keys = updates(t).flatMap((u) => Object.keys(u.set));
    expect(keys.indexOf(SEALED_KEY)).toBeLessThan(keys.indexOf("cursor"));
  });

  it("delivers any sequence of updates to a peer in order, in clear (property)", async () => {
    const key = await newKey();
    const value = fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 }));
    const patch = fc.record(
      {
        status: fc.option(fc.string({ maxLength: 12 }), { nil: undefined }),
        cursor: fc.option(fc.record({ x: fc.double({ min: 0, max: 1, noNaN: true }), y: fc.constant(0.5) }), {
          nil: undefined,
        }),
        note: value,
        meta: fc.option(fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), fc.integer()), {
          nil: undefined,
        }),
      },
      { requiredKeys: [] },
    );
    const ops = fc.array(fc.tuple(patch, fc.boolean()), { minLength: 1, maxLength: 12 });
    // Each sealing waits a random 0–4 ms for its key, so later patches often finish first.
    const delays = fc.array(fc.nat(4), { minLength: 1, maxLength: 16 });
    await fc.assert(
      fc.asyncProperty(ops, delays, async (steps, waits) => {
        let call = 0;
        const slowKey = async () => {
          await new Promise((resolve) => setTimeout(resolve, waits[call++ % waits.length]));
          return { key, id: 3 };
        };
        const alice = await enterTestRoom({
          initialPresence: {},
          encryption: encryptedPresence({ key: slowKey }),
        });
        const bob = await enterTestRoom({
          initialPresence: {},
          encryption: encryptedPresence({ key: slowKey }),
        });
        const aliceSocket = alice.net.last();
        // Alice's connectionId comes with her WELCOME (derived from her identity key, PROTOCOL.md §1).
        const welcome = join(aliceSocket);
        const aliceId = welcome.connectionId;
        join(bob.net.last(), { others: [peer(aliceId, {}, { clock: 0 })] });
        const echo = createEcho(aliceSocket, welcome);
        const toEdge = aliceSocket.onClientMessage!;
        aliceSocket.onClientMessage = (msg) => {
          const base = echo.clock;
          toEdge(msg);
          if (msg.type !== MessageType.UPDATE_PRESENCE || echo.clock === base) return;
          const entry = { kind: "update" as const, connectionId: aliceId, epoch: 1, base, clock: echo.clock };
          bob.net
            .last()
            .deliver({ type: MessageType.BATCH, entries: [{ ...entry, set: msg.set, del: msg.del }] });
        };
        for (const [partial, pause] of steps) {
          alice.room.updatePresence(
            JSON.parse(
              JSON.stringify(partial, (_k, v) => v ?? null),
              (_k, v) => v ?? undefined,
            ),
          );
          if (pause) await alice.clock.advance(16);
        }
        const seen = () => {
          const { connectionId: _c, userId: _u, info: _i, ...rest } = bob.room.getOther(aliceId) ?? {};
          return rest as PresenceData;
        };
        const start = performance.now();
        while (!jsonEqual(seen(), alice.room.getPresence() as PresenceData)) {
          if (performance.now() - start > 5000) throw new Error(`bob sees ${JSON.stringify(seen())}`);
          await new Promise((resolve) => setTimeout(resolve, 2));
          await alice.clock.advance(16);
          await bob.clock.settle();
        }
        expect(bob.decryptErrors).toEqual([]);
        expect(JSON.stringify(echo.state)).not.toMatch(/"(status|note|meta)"/);
        alice.leave();
        bob.leave();
      }),
      { numRuns: 25 },
    );
  });
});
