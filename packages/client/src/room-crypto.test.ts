// Encrypted presence through a whole room over the fake network: what the socket carries, what
// peers' entries turn into, reconnects, limits and options. Ordering: room-crypto-order.test.ts.
import { MessageType } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { alice, newKey, until, updates } from "./test-support/e2ee-harness.js";
import { ALICE, join, peer } from "./test-support/fake-server.js";
import { enterTestRoom } from "./test-support/room-harness.js";

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
});
