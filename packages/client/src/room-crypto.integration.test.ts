// Encrypted presence against a real `collabblocks serve` process: two SDK clients holding the
// room key read each other; a raw WebSocket client in the same room records every frame the
// server sends, which must hold sealed states and no plaintext; a client without encryption sees
// the sealed fields as Locked; a client with a wrong key and a raw client re-sending someone
// else's sealed state as its own are both refused.
import {
  byteStringToBytes,
  decodeServerMessage,
  encode,
  MessageType,
  type PresenceData,
  SEALED_KEY,
  type ServerMessage,
} from "@collabblocks/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startTestAuthority, type TestAuthority } from "../../../test-support/jwks-server.js";
import { waitUntil } from "../../../test-support/wait-until.js";
import { encryptedPresence } from "./e2ee.js";
import {
  type Client,
  createClient,
  type DecryptError,
  isLocked,
  type Room,
  type WebSocketConstructor,
} from "./index.js";
import { readHeader } from "./sealed-header.js";
import { type ServerProcess, startServerProcess } from "./test-support/server-process.js";

interface Presence {
  cursor?: { x: number; y: number } | null;
  status?: string;
  meta?: Record<string, string>;
}

const ROOM = "e2ee-room";
/** Longest wait for something to cross the server, ms (a loaded 2-core machine). */
const TIMEOUT_MS = 10_000;

let authority: TestAuthority | undefined;
let server: ServerProcess | undefined;
const clients: Client[] = [];
const sockets: WebSocket[] = [];

/** The room key as an app would make it: HKDF-SHA-256 from a document key it already shares. */
async function roomKey(documentKey: Uint8Array<ArrayBuffer>, roomId: string): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey("raw", documentKey, "HKDF", false, ["deriveKey"]);
  const enc = new TextEncoder();
  const params = { name: "HKDF", hash: "SHA-256", salt: enc.encode(roomId), info: enc.encode("presence v1") };
  return crypto.subtle.deriveKey(params, base, { name: "AES-GCM", length: 256 }, false, [
    "encrypt",
    "decrypt",
  ]);
}

function sdkUser(sub: string, key: CryptoKey | null, presence: Presence) {
  const client = createClient({
    url: server!.url,
    authEndpoint: (room) => authority!.sign({ sub, room }),
    WebSocket: WebSocket as unknown as WebSocketConstructor,
  });
  clients.push(client);
  const encryption = key === null ? undefined : encryptedPresence({ key });
  const { room } = client.enterRoom<Presence>(ROOM, { initialPresence: presence, encryption });
  const decryptErrors: DecryptError[] = [];
  room.subscribe("decrypt-error", (e) => decryptErrors.push(e));
  return { room, decryptErrors };
}

/** A raw protocol client: every frame it receives, as bytes and decoded. */
async function rawClient(sub: string) {
  const token = await authority!.sign({ sub, room: ROOM });
  const ws = new WebSocket(`${server!.url}/v1/rooms/${ROOM}?token=${token}`);
  sockets.push(ws);
  const frames: Buffer[] = [];
  const messages: ServerMessage[] = [];
  ws.on("message", (data: Buffer) => {
    frames.push(data);
    messages.push(decodeServerMessage(new Uint8Array(data)));
  });
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  /** What the server holds for a connection, from the snapshot and the batches seen so far. */
  function stateOf(cid: string): PresenceData | undefined {
    let state: PresenceData | undefined;
    for (const msg of messages) {
      const entries =
        msg.type === MessageType.SNAPSHOT_CHUNK || msg.type === MessageType.BATCH ? msg.entries : [];
      for (const e of entries) {
        if (e.connectionId !== cid) continue;
        if ("state" in e) state = e.state;
        else if (e.kind === "update") {
          const next: Record<string, unknown> = { ...state, ...e.set };
          for (const k of e.del) delete next[k];
          state = next as PresenceData;
        }
      }
    }
    return state;
  }
  const send = (set: PresenceData) => ws.send(encode({ type: MessageType.UPDATE_PRESENCE, set, del: [] }));
  return { ws, frames, stateOf, send };
}

beforeAll(async () => {
  authority = await startTestAuthority("e2ee-integration");
  server = await startServerProcess(["serve", "--jwks-url", authority.jwksUrl], 0);
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  for (const s of sockets) s.close();
  await server?.stop();
  await authority?.close();
});

describe("end-to-end encrypted presence through a real server", () => {
  it("the key holders read each other, the server relays only sealed states, others are refused", async () => {
    const documentKey = crypto.getRandomValues(new Uint8Array(32));
    const key = await roomKey(documentKey, ROOM);
    const observer = await rawClient("observer");
    const alice = sdkUser("alice", key, { cursor: { x: 0.25, y: 0.5 }, status: "SECRET-alice-status" });
    const bob = sdkUser("bob", await roomKey(documentKey, ROOM), { status: "SECRET-bob-status" });
    const eve = sdkUser("eve", await roomKey(crypto.getRandomValues(new Uint8Array(32)), ROOM), {});
    const nokey = sdkUser("nokey", null, {});
    const sees = (viewer: Room<Presence>, user: Room<Presence>, status: string) =>
      viewer.getOther(user.connectionId)?.status === status;

    await waitUntil(
      "alice and bob read each other",
      () =>
        sees(bob.room, alice.room, "SECRET-alice-status") && sees(alice.room, bob.room, "SECRET-bob-status"),
      TIMEOUT_MS,
    );
    alice.room.updatePresence({ meta: { doc: "SECRET-meta" }, cursor: { x: 0.75, y: 0.5 } });
    await waitUntil(
      "bob sees alice's meta",
      () => bob.room.getOther(alice.room.connectionId)?.meta?.doc === "SECRET-meta",
      TIMEOUT_MS,
    );
    await waitUntil(
      "the observer saw alice's meta",
      () => {
        const sealed = observer.stateOf(alice.room.connectionId)?.[SEALED_KEY];
        return typeof sealed === "string" && readHeader(byteStringToBytes(sealed))?.fields.length === 2;
      },
      TIMEOUT_MS,
    );

    // What the server holds and sends: the cursor in clear (views filter on it), the rest sealed.
    const held = observer.stateOf(alice.room.connectionId)!;
    expect(Object.keys(held).sort()).toEqual(["cursor", SEALED_KEY]);
    expect(held.cursor).toEqual({ x: 0.75, y: 0.5 });
    expect(readHeader(byteStringToBytes(held[SEALED_KEY] as string))).toMatchObject({
      keyId: 0,
      fields: ["status", "meta"],
    });
    const everything = Buffer.concat(observer.frames).toString("latin1");
    expect(everything).not.toContain("SECRET");

    // No encryption at all: the sealed fields are Locked, the clear cursor readable.
    await waitUntil(
      "nokey sees alice's fields locked",
      () => isLocked(nokey.room.getOther(alice.room.connectionId)?.meta),
      TIMEOUT_MS,
    );
    expect(isLocked(nokey.room.getOther(alice.room.connectionId)?.status)).toBe(true);
    expect(nokey.room.getOther(alice.room.connectionId)?.cursor).toEqual({ x: 0.75, y: 0.5 });
    expect(nokey.decryptErrors).toEqual([]);

    // A wrong key: the fields are absent, with typed events rather than exceptions.
    await waitUntil("eve's decrypt errors", () => eve.decryptErrors.length >= 2, TIMEOUT_MS);
    expect(eve.room.getOther(alice.room.connectionId)?.status).toBeUndefined();
    expect(eve.room.getOther(alice.room.connectionId)?.cursor).toEqual({ x: 0.75, y: 0.5 });
    expect(new Set(eve.decryptErrors.map((e) => e.code))).toEqual(new Set(["DECRYPT_FAILED"]));

    // A participant without the key re-sends alice's envelope as its own status: refused.
    const mallory = await rawClient("mallory");
    await waitUntil("mallory joined", () => mallory.frames.length > 0, TIMEOUT_MS);
    const before = bob.decryptErrors.length;
    mallory.send({ [SEALED_KEY]: held[SEALED_KEY]!, cursor: null });
    await waitUntil("bob refuses mallory's copy", () => bob.decryptErrors.length > before, TIMEOUT_MS);
    const refused = bob.decryptErrors.at(-1)!;
    expect(refused.code).toBe("DECRYPT_FAILED");
    expect(refused.fields).toEqual(["status", "meta"]);
    const malloryCid = bob.room.getOthers().find((u) => u.userId === "mallory")?.connectionId;
    expect(refused.connectionId).toBe(malloryCid);
    expect(bob.room.getOther(malloryCid!)?.status).toBeUndefined();
    expect(bob.room.getOther(alice.room.connectionId)?.status).toBe("SECRET-alice-status");
  });
});
