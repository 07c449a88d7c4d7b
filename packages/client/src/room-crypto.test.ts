// Encrypted presence through a whole room over the fake network: what the socket carries,
// what peers' entries turn into, and that async crypto never reorders updates.
import {
  jsonEqual,
  MessageType,
  type Patch,
  type PresenceData,
  type UpdatePresenceMessage,
} from "@collabblocks/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createFieldPolicy } from "./e2ee-fields.js";
import { createKeyRing, type PresenceKey, type PresenceKeySource } from "./e2ee-keys.js";
import { createSealer } from "./e2ee-seal.js";
import { ALICE, createEcho, join, peer } from "./test-support/fake-server.js";
import { enterTestRoom } from "./test-support/room-harness.js";

const newKey = () =>
  globalThis.crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);

/** Alice's side: seals patches as her SDK would (room "room-1", the harness's room). */
function alice(key: PresenceKeySource, epoch = 1) {
  const policy = createFieldPolicy(undefined, "cursor");
  const sealer = createSealer({
    roomId: "room-1",
    policy,
    keys: createKeyRing(key),
    connectionId: () => ALICE,
    epoch: () => epoch,
  });
  return (set: PresenceData, del: string[] = []) => sealer.seal({ set, del }) as Promise<Patch>;
}

type Harness = Awaited<ReturnType<typeof enterTestRoom>>;

/** Lets real WebCrypto promises and the room's fake timers run until `done` holds. */
async function until(t: Harness, what: string, done: () => boolean): Promise<void> {
  // WebCrypto settles on libuv's thread pool, in real time: poll for up to 5 s of it, moving the
  // fake clock 16 ms (one throttle period) every 20 polls so the outbox can send.
  const start = performance.now();
  for (let i = 1; performance.now() - start < 5000; i++) {
    if (done()) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
    await t.clock.settle();
    if (i % 20 === 0) await t.clock.advance(16);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const updates = (t: Harness): UpdatePresenceMessage[] => t.net.last().sentOfType(MessageType.UPDATE_PRESENCE);

describe("room: end-to-end encrypted presence", () => {
  it("sends sealed fields as envelopes, keeps the cursor clear and its own presence readable", async () => {
    const key = await newKey();
    const t = await enterTestRoom({
      initialPresence: { status: "secret-idle", cursor: { x: 0.5, y: 0.5 } },
      encryption: { key },
    });
    join(t.net.last());
    await until(t, "the re-assert", () => updates(t).length === 1);
    const first = updates(t)[0]!;
    expect(Object.keys(first.set).sort()).toEqual(["cursor", "~status"]);
    expect(first.set["~status"]).toMatch(/^e1\.0\./);
    expect(JSON.stringify(first)).not.toContain("secret");
    expect(t.room.getPresence()).toEqual({ status: "secret-idle", cursor: { x: 0.5, y: 0.5 } });
    t.room.updatePresence({ status: undefined, meta: { doc: "secret-doc" } });
    await until(t, "the update", () => updates(t).length === 2);
    expect(updates(t)[1]).toMatchObject({ del: ["~status"] });
    expect(Object.keys(updates(t)[1]!.set)).toEqual(["~meta"]);
    expect(t.room.getSelf()).toMatchObject({ meta: { doc: "secret-doc" } });
  });

  it("shows peers' sealed fields in clear, and a tampered one as undefined with a decrypt-error", async () => {
    const key = await newKey();
    const seal = alice(key);
    const t = await enterTestRoom({ encryption: { key } });
    const socket = t.net.last();
    const state = (await seal({ status: "editing", cursor: { x: 0.1, y: 0.2 } })).set;
    join(socket, { others: [peer(ALICE, state, { clock: 1 })] });
    await until(t, "alice", () => t.room.getOther(ALICE)?.status === "editing");
    expect(t.room.getOther(ALICE)).toMatchObject({ status: "editing", cursor: { x: 0.1, y: 0.2 } });
    const next = await seal({ status: "commenting" });
    const envelope = next.set["~status"] as string;
    const tampered = `${envelope.slice(0, -2)}${envelope.endsWith("A") ? "B" : "A"}${envelope.at(-1)}`;
    socket.deliver({
      type: MessageType.BATCH,
      entries: [
        {
          kind: "update",
          connectionId: ALICE,
          epoch: 1,
          base: 1,
          clock: 2,
          set: { "~status": tampered },
          del: [],
        },
      ],
    });
    await until(t, "the decrypt error", () => t.decryptErrors.length === 1);
    expect(t.decryptErrors[0]).toMatchObject({
      code: "DECRYPT_FAILED",
      connectionId: ALICE,
      field: "status",
    });
    expect(t.room.getOther(ALICE)?.status).toBeUndefined();
    expect(t.room.getOther(ALICE)?.cursor).toEqual({ x: 0.1, y: 0.2 });
    expect(t.errors).toEqual([]);
  });

  it("never lets a later update overtake an earlier one that decrypts slower", async () => {
    const old: PresenceKey = { key: await newKey(), id: "old" };
    const current: PresenceKey = { key: await newKey(), id: "new" };
    let releaseOld: (() => void) | undefined;
    const oldGate = new Promise<void>((resolve) => {
      releaseOld = resolve;
    });
    const resolver = async (id?: string) => {
      if (id === "old") await oldGate; // the receiver's lookup of the old key is slow
      return id === "old" ? old : current;
    };
    const t = await enterTestRoom({ encryption: { key: resolver } });
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
      return { key, id: "k" };
    };
    const t = await enterTestRoom({ initialPresence: {}, encryption: { key: resolver } });
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
    expect(keys.indexOf("~status")).toBeLessThan(keys.indexOf("cursor"));
  });

  it("re-asserts nothing after a reconnect that kept its state, and the same envelopes after a restart", async () => {
    const t = await enterTestRoom({
      initialPresence: { status: "idle" },
      encryption: { key: await newKey() },
    });
    join(t.net.last());
    await until(t, "the first patch", () => updates(t).length === 1);
    const held = updates(t)[0]!.set; // what the server now holds for us
    t.net.last().drop(1006);
    await t.clock.advance(300);
    join(t.net.last(), { selfState: held, welcome: { epoch: 2 } });
    for (let i = 0; i < 10; i++) await t.clock.advance(16);
    expect(updates(t)).toEqual([]); // same envelopes: nothing to send, nothing re-sealed
    t.net.last().drop(1012);
    await t.clock.advance(300);
    join(t.net.last(), { selfState: {}, welcome: { epoch: 3 } }); // a restarted server holds nothing
    await until(t, "the re-assert", () => updates(t).length === 1);
    expect(updates(t)[0]!.set).toEqual(held); // peers accept the very same envelopes as current
  });

  it("seals everything again when the server assigns another connectionId", async () => {
    const t = await enterTestRoom({
      initialPresence: { status: "idle" },
      encryption: { key: await newKey() },
    });
    join(t.net.last(), { welcome: { connectionId: "assignedAAAAAAAAAAAAAAA" } });
    await until(t, "the first patch", () => updates(t).length === 1);
    const envelope = updates(t)[0]!.set["~status"] as string;
    expect(envelope.split(".")[3]).toBe("2"); // counter 1 went to the old connectionId, never sent
  });

  it("reports a failing key resolver as ENCRYPT_FAILED and sends nothing for that patch", async () => {
    const key = await newKey();
    let fail = false;
    const resolver = async () => {
      if (fail) throw new Error("key service down");
      return { key, id: "k" };
    };
    const t = await enterTestRoom({ initialPresence: {}, encryption: { key: resolver } });
    join(t.net.last());
    await until(t, "joined", () => t.room.getStatus() === "connected");
    fail = true;
    t.room.updatePresence({ status: "lost" });
    await until(t, "the error", () => t.errors.length === 1);
    expect(t.errors[0]).toMatchObject({ code: "ENCRYPT_FAILED", fatal: false });
    expect(t.errors[0]!.message).toContain("key service down");
    fail = false;
    t.room.updatePresence({ meta: { ok: true } });
    await until(t, "the next patch", () => updates(t).length === 1);
    expect(Object.keys(updates(t)[0]!.set)).toEqual(["~meta"]);
  });

  it("withholds a sealed cursor while the page is hidden, like a clear one", async () => {
    const t = await enterTestRoom({
      initialPresence: {},
      encryption: { key: await newKey(), fields: ["cursor"] },
    });
    join(t.net.last());
    await until(t, "joined", () => t.room.getStatus() === "connected");
    t.setHidden(true);
    t.room.updatePresence({ cursor: { x: 0.5, y: 0.5 } });
    for (let i = 0; i < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      await t.clock.advance(16);
    }
    expect(updates(t)).toEqual([]);
    t.setHidden(false);
    await until(t, "the cursor", () => updates(t).length === 1);
    expect(Object.keys(updates(t)[0]!.set)).toEqual(["~cursor"]);
  });

  it("refuses presence that fits in clear but not once sealed", async () => {
    const t = await enterTestRoom({ initialPresence: {}, encryption: { key: await newKey() } });
    join(t.net.last());
    t.room.updatePresence({
      meta: { note: "x".repeat(1000) },
      status: "x".repeat(64),
      avatar: `https://a.example/${"x".repeat(900)}`,
    });
    expect(t.errors.map((e) => e.code)).toEqual(["PRESENCE_TOO_LARGE"]);
    expect(t.room.getPresence()).toEqual({});
    t.room.updatePresence({ meta: { note: "x".repeat(900) } });
    expect(t.room.getPresence()).toEqual({ meta: { note: "x".repeat(900) } });
  });

  it("refuses bad encryption options at enterRoom", async () => {
    const t = await enterTestRoom();
    const hmac = await globalThis.crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    const aes128 = await globalThis.crypto.subtle.generateKey({ name: "AES-GCM", length: 128 }, false, [
      "encrypt",
    ]);
    for (const key of [hmac, aes128, "secret", null]) {
      expect(() =>
        t.client.enterRoom("room-2", {
          initialPresence: {},
          autoConnect: false,
          encryption: { key: key as CryptoKey },
        }),
      ).toThrow(TypeError);
    }
    expect(() =>
      t.client.enterRoom("room-2", {
        initialPresence: {},
        autoConnect: false,
        encryption: { key: async () => undefined, fields: "status" as unknown as string[] },
      }),
    ).toThrow(TypeError);
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
          return { key, id: "k" };
        };
        const alice = await enterTestRoom({ initialPresence: {}, encryption: { key: slowKey } });
        const bob = await enterTestRoom({ initialPresence: {}, encryption: { key: slowKey } });
        const aliceSocket = alice.net.last();
        const aliceId = alice.room.connectionId;
        join(bob.net.last(), { others: [peer(aliceId, {}, { clock: 0 })] });
        const welcome = join(aliceSocket);
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
