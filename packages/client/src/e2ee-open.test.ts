import {
  type BatchMessage,
  type ClientBatchEntry,
  MessageType,
  type Patch,
  type PresenceData,
  type SnapshotChunkMessage,
} from "@collabblocks/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createFieldPolicy } from "./e2ee-fields.js";
import { createKeyRing, type PresenceKey, type PresenceKeySource } from "./e2ee-keys.js";
import { createOpener } from "./e2ee-open.js";
import { createSealer } from "./e2ee-seal.js";
import { ALICE, BOB, CAROL } from "./test-support/fake-server.js";
import type { DecryptError } from "./types.js";

const ROOM = "doc-1";
const policy = createFieldPolicy(undefined, "cursor");
const newKey = () =>
  globalThis.crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);

function sender(key: PresenceKeySource, cid = ALICE, epoch = 1, room = ROOM) {
  const sealer = createSealer({
    roomId: room,
    policy,
    keys: createKeyRing(key),
    connectionId: () => cid,
    epoch: () => epoch,
  });
  return async (set: PresenceData, del: string[] = []) => sealer.seal({ set, del }) as Promise<Patch>;
}

function receiver(key: PresenceKeySource, self = BOB) {
  const errors: DecryptError[] = [];
  const opener = createOpener({
    roomId: ROOM,
    policy,
    keys: createKeyRing(key),
    selfId: () => self,
    onError: (e) => errors.push(e),
  });
  async function open<M extends BatchMessage | SnapshotChunkMessage>(msg: M): Promise<M> {
    return (await opener.prepare(msg))();
  }
  /** Opens one update entry of `cid` and returns its clear set and del. */
  async function update(patch: Patch, cid = ALICE, epoch = 1, clock = 1) {
    const entry: ClientBatchEntry = {
      kind: "update",
      connectionId: cid,
      epoch,
      base: clock - 1,
      clock,
      ...patch,
    };
    const out = await open({ type: MessageType.BATCH, entries: [entry] });
    const opened = out.entries[0];
    if (opened?.kind !== "update") throw new Error("not an update");
    return { set: opened.set, del: opened.del };
  }
  async function enter(state: PresenceData, cid = ALICE, epoch = 1) {
    const entry: ClientBatchEntry = {
      kind: "enter",
      connectionId: cid,
      userId: "u",
      info: undefined,
      epoch,
      clock: 1,
      state,
    };
    const out = await open({ type: MessageType.BATCH, entries: [entry] });
    return (out.entries[0] as { state: PresenceData }).state;
  }
  return { errors, open, update, enter, codes: () => errors.map((e) => e.code) };
}

describe("opening sealed presence", () => {
  it("round-trips sealed fields and leaves the position field clear on the wire", async () => {
    const key = await newKey();
    const seal = sender(key);
    const wire = await seal({ cursor: { x: 0.5, y: 0.25 }, status: "editing", meta: { doc: "secret plan" } });
    expect(Object.keys(wire.set).sort()).toEqual(["cursor", "~meta", "~status"]);
    expect(JSON.stringify(wire)).not.toMatch(/editing|secret/);
    const bob = receiver(key);
    expect((await bob.update(wire)).set).toEqual({
      cursor: { x: 0.5, y: 0.25 },
      status: "editing",
      meta: { doc: "secret plan" },
    });
    expect(bob.errors).toEqual([]);
  });

  it("refuses a tampered value: the field is deleted and a DECRYPT_FAILED error names the peer", async () => {
    const key = await newKey();
    const wire = await sender(key)({ status: "editing", avatar: "https://a.example/me.png" });
    const envelope = wire.set["~status"] as string;
    const flipped = envelope.slice(0, -3) + (envelope.at(-3) === "A" ? "B" : "A") + envelope.slice(-2);
    const bob = receiver(key);
    const out = await bob.update({ set: { ...wire.set, "~status": flipped }, del: [] });
    expect(out.set).toEqual({ avatar: "https://a.example/me.png" });
    expect(out.del).toEqual(["status"]);
    expect(bob.errors).toEqual([
      expect.objectContaining({ code: "DECRYPT_FAILED", connectionId: ALICE, field: "status" }),
    ]);
  });

  it("drops a replayed older value and keeps accepting newer ones", async () => {
    const key = await newKey();
    const seal = sender(key);
    const first = await seal({ status: "idle" });
    const second = await seal({ status: "editing" });
    const bob = receiver(key);
    expect((await bob.update(first, ALICE, 1, 1)).set).toEqual({ status: "idle" });
    expect((await bob.update(second, ALICE, 1, 2)).set).toEqual({ status: "editing" });
    const replayed = await bob.update(first, ALICE, 1, 3);
    expect(replayed).toEqual({ set: {}, del: ["status"] });
    expect(bob.codes()).toEqual(["REPLAYED"]);
    expect((await bob.update(await seal({ status: "commenting" }), ALICE, 1, 4)).set).toEqual({
      status: "commenting",
    });
  });

  it("accepts the current value again (reconnect, resync) but not once it was deleted", async () => {
    const key = await newKey();
    const wire = await sender(key)({ status: "idle" });
    const bob = receiver(key);
    expect(await bob.enter(wire.set, ALICE, 1)).toEqual({ status: "idle" });
    expect(await bob.enter(wire.set, ALICE, 2)).toEqual({ status: "idle" }); // reconnect: new epoch, same state
    expect(bob.errors).toEqual([]);
    await bob.update({ set: {}, del: ["~status"] }, ALICE, 2, 2);
    expect(await bob.enter(wire.set, ALICE, 3)).toEqual({}); // a server bringing the deleted value back
    expect(bob.codes()).toEqual(["REPLAYED"]);
  });

  it("ignores stale deliveries quietly: a reordered older update neither reports nor kills", async () => {
    const key = await newKey();
    const seal = sender(key);
    const first = await seal({ status: "idle" });
    const second = await seal({ status: "editing" });
    const bob = receiver(key);
    await bob.update(first, ALICE, 1, 1);
    await bob.update(second, ALICE, 1, 3);
    await bob.update(first, ALICE, 1, 1); // a duplicate of an older entry: the replica drops it
    await bob.update({ set: {}, del: ["~status"] }, ALICE, 1, 2); // an older delete
    expect(bob.errors).toEqual([]);
    expect(await bob.enter(second.set, ALICE, 2)).toEqual({ status: "editing" }); // still current
    expect(bob.errors).toEqual([]);
  });

  it("refuses a value moved to another connection, field or room", async () => {
    const key = await newKey();
    const wire = await sender(key)({ status: "editing" });
    const envelope = wire.set["~status"];
    const bob = receiver(key);
    expect((await bob.update({ set: { "~status": envelope } as PresenceData, del: [] }, CAROL)).set).toEqual(
      {},
    );
    expect((await bob.update({ set: { "~meta": envelope } as PresenceData, del: [] }, ALICE)).set).toEqual(
      {},
    );
    const otherRoom = await sender(key, ALICE, 1, "doc-2")({ status: "editing" });
    expect((await bob.update(otherRoom, ALICE)).set).toEqual({});
    expect(bob.codes()).toEqual(["DECRYPT_FAILED", "DECRYPT_FAILED", "DECRYPT_FAILED"]);
  });

  it("refuses a value sealed in a later epoch than the entry that carries it", async () => {
    const key = await newKey();
    const wire = await sender(key, ALICE, 5)({ status: "editing" });
    const bob = receiver(key);
    expect((await bob.update(wire, ALICE, 4)).set).toEqual({});
    expect(bob.codes()).toEqual(["REPLAYED"]);
  });

  it("reports a wrong key and an unknown key id", async () => {
    const wire = await sender(await newKey())({ status: "editing" });
    const wrong = receiver(await newKey());
    expect((await wrong.update(wire)).set).toEqual({});
    expect(wrong.codes()).toEqual(["DECRYPT_FAILED"]);
    const resolverKey = await newKey();
    const unknown = receiver(async (id) =>
      id === undefined || id === "r1" ? { key: resolverKey, id: "r1" } : undefined,
    );
    expect((await unknown.update(wire)).set).toEqual({});
    expect(unknown.codes()).toEqual(["UNKNOWN_KEY"]);
  });

  it("reads values sealed under an old key id after a rotation", async () => {
    const keys: PresenceKey[] = [
      { key: await newKey(), id: "v1" },
      { key: await newKey(), id: "v2" },
    ];
    let current = 0;
    const resolver = async (id?: string) =>
      id === undefined ? keys[current] : keys.find((k) => k.id === id);
    const seal = sender(resolver);
    const old = await seal({ status: "idle" });
    current = 1;
    const fresh = await seal({ meta: { n: 1 } });
    expect(old.set["~status"]).toMatch(/^e1\.v1\./);
    expect(fresh.set["~meta"]).toMatch(/^e1\.v2\./);
    const bob = receiver(resolver);
    expect(await bob.enter({ ...old.set, ...fresh.set })).toEqual({ status: "idle", meta: { n: 1 } });
    expect(bob.errors).toEqual([]);
  });

  it("refuses a clear value for a sealed field and an invalid decrypted value", async () => {
    const key = await newKey();
    const bob = receiver(key);
    expect(await bob.enter({ status: "forged by the server", cursor: null })).toEqual({ cursor: null });
    const bad = await sender(key)({ status: "x".repeat(65) });
    expect((await bob.update(bad)).set).toEqual({});
    expect(bob.codes()).toEqual(["NOT_SEALED", "INVALID_VALUE"]);
  });

  it("passes own entries through sealed", async () => {
    const key = await newKey();
    const wire = await sender(key, BOB)({ status: "idle" });
    const bob = receiver(key, BOB);
    expect(await bob.enter(wire.set, BOB)).toEqual(wire.set);
  });

  it("opens snapshot chunks", async () => {
    const key = await newKey();
    const wire = await sender(key)({ status: "idle", cursor: null });
    const bob = receiver(key);
    const peer = {
      connectionId: ALICE,
      userId: "alice",
      info: undefined,
      epoch: 1,
      clock: 1,
      state: wire.set,
    };
    const out = await bob.open({ type: MessageType.SNAPSHOT_CHUNK, syncId: 0, entries: [peer] });
    expect(out.entries[0]?.state).toEqual({ status: "idle", cursor: null });
  });

  it("round-trips random presence objects (property)", async () => {
    const key = await newKey();
    const field = fc
      .string({ minLength: 1, maxLength: 12 })
      .filter(
        (k) =>
          !["connectionId", "userId", "info", "__proto__", "cursor", "status", "avatar", "meta"].includes(
            k,
          ) && !k.startsWith("~"),
      );
    const presence = fc.dictionary(field, fc.jsonValue({ maxDepth: 4 }), { maxKeys: 6 });
    await fc.assert(
      fc.asyncProperty(presence, async (raw) => {
        const state = JSON.parse(JSON.stringify(raw)) as PresenceData;
        const wire = await sender(key)(state);
        for (const k of Object.keys(state)) expect(Object.hasOwn(wire.set, `~${k}`)).toBe(true);
        const bob = receiver(key);
        expect(await bob.enter(wire.set)).toEqual(state);
        expect(bob.errors).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});
