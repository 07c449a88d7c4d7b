import {
  applyPatch,
  type BatchMessage,
  byteStringToBytes,
  bytesToByteString,
  type ClientBatchEntry,
  MessageType,
  type Patch,
  type PresenceData,
  SEALED_KEY,
  type SnapshotChunkMessage,
} from "@collabblocks/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createFieldPolicy } from "./e2ee-fields.js";
import { createKeyRing, type PresenceKey, type PresenceKeySource } from "./e2ee-keys.js";
import { createOpener } from "./e2ee-open.js";
import { createSealer } from "./e2ee-seal.js";
import { isLocked } from "./locked.js";
import { readHeader } from "./sealed-header.js";
import { ALICE, BOB, CAROL } from "./test-support/fake-server.js";
import type { DecryptError } from "./types.js";

const ROOM = "doc-1";
const policy = createFieldPolicy(undefined, "cursor");
const newKey = () =>
  globalThis.crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);

/** A sender's SDK: keeps its clear presence and seals each patch as the room does. */
function sender(key: PresenceKeySource, cid = ALICE, epoch = 1, room = ROOM) {
  const sealer = createSealer({
    roomId: room,
    policy,
    keys: createKeyRing(key),
    connectionId: () => cid,
    epoch: () => epoch,
  });
  let state: PresenceData = {};
  return async (set: PresenceData, del: string[] = []) => {
    state = applyPatch(state, { set, del });
    return sealer.seal({ set, del }, state) as Promise<Patch>;
  };
}

const sealedOf = (patch: Patch) => patch.set[SEALED_KEY] as string;

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
    return { set: opened.set, del: [...opened.del].sort() };
  }
  async function enter(state: PresenceData, cid = ALICE, epoch = 1, clock = 1) {
    const entry: ClientBatchEntry = {
      kind: "enter",
      connectionId: cid,
      userId: "u",
      info: undefined,
      epoch,
      clock,
      state,
    };
    const out = await open({ type: MessageType.BATCH, entries: [entry] });
    return (out.entries[0] as { state: PresenceData }).state;
  }
  return { errors, open, update, enter, codes: () => errors.map((e) => e.code) };
}

describe("opening sealed presence", () => {
  it("seals every sealed field into one binary state under ~, the position field clear", async () => {
    const key = await newKey();
    const seal = sender(key);
    const wire = await seal({ cursor: { x: 0.5, y: 0.25 }, status: "editing", meta: { doc: "secret plan" } });
    expect(Object.keys(wire.set).sort()).toEqual(["cursor", SEALED_KEY]);
    expect(readHeader(byteStringToBytes(sealedOf(wire)))?.fields).toEqual(["status", "meta"]);
    expect(JSON.stringify(wire)).not.toMatch(/editing|secret/);
    const bob = receiver(key);
    expect((await bob.update(wire)).set).toEqual({
      cursor: { x: 0.5, y: 0.25 },
      status: "editing",
      meta: { doc: "secret plan" },
    });
    expect(bob.errors).toEqual([]);
  });

  it("replaces the sealed part as a whole: a field the new state lacks is deleted", async () => {
    const key = await newKey();
    const seal = sender(key);
    const bob = receiver(key);
    await bob.update(await seal({ status: "editing", meta: { n: 1 } }), ALICE, 1, 1);
    const next = await seal({}, ["meta"]);
    expect(await bob.update(next, ALICE, 1, 2)).toEqual({ set: { status: "editing" }, del: ["meta"] });
    const gone = await seal({}, ["status"]);
    expect(gone).toEqual({ set: {}, del: [SEALED_KEY] });
    expect(await bob.update(gone, ALICE, 1, 3)).toEqual({ set: {}, del: ["status"] });
  });

  it("refuses a tampered state: its fields are deleted, the clear ones kept, one DECRYPT_FAILED names the peer", async () => {
    const key = await newKey();
    const seal = sender(key);
    const bob = receiver(key);
    await bob.update(await seal({ status: "idle", cursor: null }), ALICE, 1, 1);
    const wire = await seal({ status: "editing", cursor: { x: 0.1, y: 0.1 } });
    const bytes = byteStringToBytes(sealedOf(wire));
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
    const out = await bob.update(
      { set: { ...wire.set, [SEALED_KEY]: bytesToByteString(bytes) }, del: [] },
      ALICE,
      1,
      2,
    );
    expect(out).toEqual({ set: { cursor: { x: 0.1, y: 0.1 } }, del: ["status"] });
    expect(bob.errors).toEqual([
      expect.objectContaining({ code: "DECRYPT_FAILED", connectionId: ALICE, fields: ["status"] }),
    ]);
  });

  it("drops a replayed older state and keeps accepting newer ones", async () => {
    const key = await newKey();
    const seal = sender(key);
    const first = await seal({ status: "idle" });
    const second = await seal({ status: "editing" });
    const bob = receiver(key);
    expect((await bob.update(first, ALICE, 1, 1)).set).toEqual({ status: "idle" });
    expect((await bob.update(second, ALICE, 1, 2)).set).toEqual({ status: "editing" });
    expect(await bob.update(first, ALICE, 1, 3)).toEqual({ set: {}, del: ["status"] });
    expect(bob.codes()).toEqual(["REPLAYED"]);
    expect((await bob.update(await seal({ status: "commenting" }), ALICE, 1, 4)).set).toEqual({
      status: "commenting",
    });
  });

  it("accepts the current state again (reconnect, resync) but not once it was removed", async () => {
    const key = await newKey();
    const wire = await sender(key)({ status: "idle" });
    const bob = receiver(key);
    expect(await bob.enter(wire.set, ALICE, 1)).toEqual({ status: "idle" });
    expect(await bob.enter(wire.set, ALICE, 2)).toEqual({ status: "idle" }); // reconnect: new epoch, same state
    expect(bob.errors).toEqual([]);
    await bob.update({ set: {}, del: [SEALED_KEY] }, ALICE, 2, 2);
    expect(await bob.enter(wire.set, ALICE, 3)).toEqual({}); // a server bringing the removed state back
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
    await bob.update({ set: {}, del: [SEALED_KEY] }, ALICE, 1, 2); // an older removal
    expect(bob.errors).toEqual([]);
    expect(await bob.enter(second.set, ALICE, 2)).toEqual({ status: "editing" }); // still current
    expect(bob.errors).toEqual([]);
  });

  it("refuses a state moved to another connection or room", async () => {
    const key = await newKey();
    const wire = await sender(key)({ status: "editing" });
    const bob = receiver(key);
    expect((await bob.update(wire, CAROL)).set).toEqual({});
    const otherRoom = await sender(key, ALICE, 1, "doc-2")({ status: "editing" });
    expect((await bob.update(otherRoom, ALICE)).set).toEqual({});
    expect(bob.codes()).toEqual(["DECRYPT_FAILED", "DECRYPT_FAILED"]);
  });

  it("refuses a state sealed in a later epoch than the entry that carries it", async () => {
    const key = await newKey();
    const wire = await sender(key, ALICE, 5)({ status: "editing" });
    const bob = receiver(key);
    expect((await bob.update(wire, ALICE, 4)).set).toEqual({});
    expect(bob.codes()).toEqual(["REPLAYED"]);
  });

  it("reports a wrong key; shows the fields Locked under an unknown key id, reported once", async () => {
    const seal = sender(await newKey());
    const wire = await seal({ status: "editing", note: "x" });
    const wrong = receiver(await newKey());
    expect((await wrong.update(wire)).set).toEqual({});
    expect(wrong.codes()).toEqual(["DECRYPT_FAILED"]);
    const resolverKey = await newKey();
    const unknown = receiver(async (id) =>
      id === undefined || id === 5 ? { key: resolverKey, id: 5 } : undefined,
    );
    const { set } = await unknown.update(wire, ALICE, 1, 1);
    expect(Object.keys(set)).toEqual(["status", "note"]);
    expect(isLocked(set.status) && isLocked(set.note)).toBe(true);
    expect(set.status).toMatchObject({ locked: true, keyId: 0 });
    await unknown.update(await seal({ status: "idle" }), ALICE, 1, 2);
    expect(unknown.errors).toEqual([
      expect.objectContaining({ code: "UNKNOWN_KEY", connectionId: ALICE, fields: ["status", "note"] }),
    ]);
  });

  it("reads states sealed under an old key id after a rotation", async () => {
    const keys: PresenceKey[] = [
      { key: await newKey(), id: 1 },
      { key: await newKey(), id: 2 },
    ];
    let current = 0;
    const resolver = async (id?: number) =>
      id === undefined ? keys[current] : keys.find((k) => k.id === id);
    const old = await sender(resolver, ALICE)({ status: "idle" });
    current = 1;
    const fresh = await sender(resolver, CAROL)({ meta: { n: 1 } });
    expect(readHeader(byteStringToBytes(sealedOf(old)))?.keyId).toBe(1);
    expect(readHeader(byteStringToBytes(sealedOf(fresh)))?.keyId).toBe(2);
    const bob = receiver(resolver);
    expect(await bob.enter(old.set, ALICE)).toEqual({ status: "idle" });
    expect(await bob.enter(fresh.set, CAROL)).toEqual({ meta: { n: 1 } });
    expect(bob.errors).toEqual([]);
  });

  it("refuses a clear value for a sealed field, an invalid decrypted value and unreadable bytes", async () => {
    const key = await newKey();
    const bob = receiver(key);
    expect(await bob.enter({ status: "forged by the server", cursor: null })).toEqual({ cursor: null });
    const bad = await sender(key)({ status: "x".repeat(65) });
    expect((await bob.update(bad, ALICE, 1, 2)).set).toEqual({});
    expect((await bob.update({ set: { [SEALED_KEY]: "\u0001junk" }, del: [] }, ALICE, 1, 3)).set).toEqual({});
    expect(bob.codes()).toEqual(["NOT_SEALED", "INVALID_VALUE", "MALFORMED_ENVELOPE"]);
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

  it("round-trips random presence objects through sealing and opening (property)", async () => {
    const key = await newKey();
    const field = fc
      .string({ minLength: 1, maxLength: 12 })
      .filter(
        (k) =>
          ![
            "connectionId",
            "userId",
            "info",
            "__proto__",
            "cursor",
            "status",
            "avatar",
            "meta",
            "~",
          ].includes(k),
      );
    const presence = fc.dictionary(field, fc.jsonValue({ maxDepth: 4 }), { minKeys: 1, maxKeys: 6 });
    await fc.assert(
      fc.asyncProperty(presence, async (raw) => {
        const state = JSON.parse(JSON.stringify(raw)) as PresenceData;
        const wire = await sender(key)(state);
        expect(Object.keys(wire.set)).toEqual([SEALED_KEY]);
        const bob = receiver(key);
        expect(await bob.enter(wire.set)).toEqual(state);
        expect(bob.errors).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});
