// Encrypted presence through a whole room over the fake network: what the socket carries, what
// peers' entries turn into, reconnects, limits and options. Ordering: room-crypto-order.test.ts.
import {
  byteStringToBytes,
  bytesToByteString,
  encodedStateSize,
  MessageType,
  SEALED_KEY,
} from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { encryptedPresence } from "./e2ee.js";
import { isLocked } from "./locked.js";
import { readHeader } from "./sealed-header.js";
import { alice, newKey, sealedOf, until, updates } from "./test-support/e2ee-harness.js";
import { ALICE, join, peer } from "./test-support/fake-server.js";
import { enterTestRoom } from "./test-support/room-harness.js";
import type { EncryptionOptions } from "./types.js";

describe("room: end-to-end encrypted presence", () => {
  it("sends sealed fields as one sealed state, keeps the cursor clear and its own presence readable", async () => {
    const key = await newKey();
    const t = await enterTestRoom({
      initialPresence: { status: "secret-idle", cursor: { x: 0.5, y: 0.5 } },
      encryption: encryptedPresence({ key }),
    });
    join(t.net.last());
    await until(t, "the re-assert", () => updates(t).length === 1);
    const first = updates(t)[0]!;
    expect(Object.keys(first.set).sort()).toEqual(["cursor", SEALED_KEY]);
    expect(readHeader(byteStringToBytes(sealedOf(first.set)))?.fields).toEqual(["status"]);
    expect(JSON.stringify(first)).not.toContain("secret");
    expect(t.room.getPresence()).toEqual({ status: "secret-idle", cursor: { x: 0.5, y: 0.5 } });
    t.room.updatePresence({ status: undefined, meta: { doc: "secret-doc" } });
    await until(t, "the update", () => updates(t).length === 2);
    expect(updates(t)[1]).toMatchObject({ del: [] });
    expect(Object.keys(updates(t)[1]!.set)).toEqual([SEALED_KEY]);
    expect(readHeader(byteStringToBytes(sealedOf(updates(t)[1]!.set)))?.fields).toEqual(["meta"]);
    expect(t.room.getSelf()).toMatchObject({ meta: { doc: "secret-doc" } });
  });

  it("shows peers' sealed fields in clear, and a tampered one as undefined with a decrypt-error", async () => {
    const key = await newKey();
    const seal = alice(key);
    const t = await enterTestRoom({ encryption: encryptedPresence({ key }) });
    const socket = t.net.last();
    const state = (await seal({ status: "editing", cursor: { x: 0.1, y: 0.2 } })).set;
    join(socket, { others: [peer(ALICE, state, { clock: 1 })] });
    await until(t, "alice", () => t.room.getOther(ALICE)?.status === "editing");
    expect(t.room.getOther(ALICE)).toMatchObject({ status: "editing", cursor: { x: 0.1, y: 0.2 } });
    const next = await seal({ status: "commenting" });
    const bytes = byteStringToBytes(sealedOf(next.set));
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0x80;
    const tampered = bytesToByteString(bytes);
    socket.deliver({
      type: MessageType.BATCH,
      entries: [
        {
          kind: "update",
          connectionId: ALICE,
          epoch: 1,
          base: 1,
          clock: 2,
          set: { [SEALED_KEY]: tampered },
          del: [],
        },
      ],
    });
    await until(t, "the decrypt error", () => t.decryptErrors.length === 1);
    expect(t.decryptErrors[0]).toMatchObject({
      code: "DECRYPT_FAILED",
      connectionId: ALICE,
      fields: ["status"],
    });
    expect(t.room.getOther(ALICE)?.status).toBeUndefined();
    expect(t.room.getOther(ALICE)?.cursor).toEqual({ x: 0.1, y: 0.2 });
    expect(t.errors).toEqual([]);
  });

  it("re-asserts nothing after a reconnect that kept its state, and the same envelopes after a restart", async () => {
    const t = await enterTestRoom({
      initialPresence: { status: "idle" },
      encryption: encryptedPresence({ key: await newKey() }),
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
      encryption: encryptedPresence({ key: await newKey() }),
    });
    join(t.net.last(), { welcome: { connectionId: "assignedAAAAAAAAAAAAAAA" } });
    await until(t, "the first patch", () => updates(t).length === 1);
    const header = readHeader(byteStringToBytes(sealedOf(updates(t)[0]!.set)));
    expect(header?.counter).toBe(2); // counter 1 went to the old connectionId, never sent
  });

  it("reports a failing key resolver as ENCRYPT_FAILED and sends nothing for that patch", async () => {
    const key = await newKey();
    let fail = false;
    const resolver = async () => {
      if (fail) throw new Error("key service down");
      return { key, id: 3 };
    };
    const t = await enterTestRoom({ initialPresence: {}, encryption: encryptedPresence({ key: resolver }) });
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
    expect(Object.keys(updates(t)[0]!.set)).toEqual([SEALED_KEY]);
  });

  it("sends a sealed cursor while the page is hidden (it travels with the other sealed fields)", async () => {
    const t = await enterTestRoom({
      initialPresence: {},
      encryption: encryptedPresence({ key: await newKey(), fields: ["cursor"] }),
    });
    join(t.net.last());
    await until(t, "joined", () => t.room.getStatus() === "connected");
    t.setHidden(true);
    t.room.updatePresence({ cursor: { x: 0.5, y: 0.5 } });
    for (let i = 0; i < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      await t.clock.advance(16);
    }
    expect(updates(t).map((u) => Object.keys(u.set))).toEqual([[SEALED_KEY]]);
  });

  it("refuses presence that fits in clear but not once sealed", async () => {
    const t = await enterTestRoom({
      initialPresence: {},
      encryption: encryptedPresence({ key: await newKey() }),
    });
    join(t.net.last());
    // About 2 030 B in clear: fits; sealed, it is 37 B (+ headroom) more.
    const fits = { meta: { note: "x".repeat(1000) }, status: "x".repeat(64), avatar: "" };
    const avatar = `https://a.example/${"x".repeat(2048 - 20 - encodedStateSize(fits) - 17)}`;
    expect(encodedStateSize({ ...fits, avatar })).toBeGreaterThan(2048 - 37);
    expect(encodedStateSize({ ...fits, avatar })).toBeLessThanOrEqual(2048);
    t.room.updatePresence({ ...fits, avatar });
    expect(t.errors.map((e) => e.code)).toEqual(["PRESENCE_TOO_LARGE"]);
    expect(t.room.getPresence()).toEqual({});
    t.room.updatePresence({ meta: { note: "x".repeat(900) } });
    expect(t.room.getPresence()).toEqual({ meta: { note: "x".repeat(900) } });
  });

  it("shows a keyed peer's sealed fields as Locked in a room without encryption", async () => {
    const seal = alice(await newKey());
    const t = await enterTestRoom();
    const state = (await seal({ status: "secret-editing", meta: { doc: 1 }, cursor: { x: 0.1, y: 0.2 } }))
      .set;
    join(t.net.last(), { others: [peer(ALICE, state, { clock: 1 })] });
    await until(t, "alice", () => t.room.getOther(ALICE) !== undefined);
    const other = t.room.getOther(ALICE) as unknown as Record<string, unknown>;
    expect(
      Object.keys(other)
        .filter((k) => !["connectionId", "userId", "info"].includes(k))
        .sort(),
    ).toEqual(["cursor", "meta", "status"]);
    expect(isLocked(other.status) && isLocked(other.meta)).toBe(true);
    expect(other.status).toMatchObject({ locked: true, keyId: 0 });
    expect(other.cursor).toEqual({ x: 0.1, y: 0.2 });
    const next = await seal({}, ["meta"]);
    t.net.last().deliver({
      type: MessageType.BATCH,
      entries: [{ kind: "update", connectionId: ALICE, epoch: 1, base: 1, clock: 2, ...next }],
    });
    await until(t, "meta gone", () => t.room.getOther(ALICE)?.meta === undefined);
    expect(isLocked(t.room.getOther(ALICE)?.status)).toBe(true);
    expect(t.decryptErrors).toEqual([]);
    expect(t.errors).toEqual([]);
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
      expect(() => encryptedPresence({ key: key as CryptoKey })).toThrow(TypeError);
    }
    expect(() =>
      encryptedPresence({ key: async () => undefined, fields: "status" as unknown as string[] }),
    ).toThrow(TypeError);
    // The options themselves, without encryptedPresence(), say where to get it.
    const raw = { key: aes128 } as unknown as EncryptionOptions;
    expect(() =>
      t.client.enterRoom("room-2", { initialPresence: {}, autoConnect: false, encryption: raw }),
    ).toThrow(/encryptedPresence.*@collabblocks\/client\/e2ee/);
    const sealed = encryptedPresence({ key: await newKey() });
    expect(() =>
      t.client.enterRoom("room-2", { initialPresence: { "~": "x" }, autoConnect: false, encryption: sealed }),
    ).toThrow(TypeError);
  });
});
