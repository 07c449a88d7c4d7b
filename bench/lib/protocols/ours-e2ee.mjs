// The CollabBlocks protocol with end-to-end encrypted cursors (target `ours-e2ee`,
// docs/BENCHMARKS.md#e2ee-encrypted-cursor-updates): what `encryptedPresence({ key, fields:
// ["cursor"] })` puts on the wire, made with the SDK's own sealing and opening code
// (packages/client/dist, so `npm run build` first). The send timestamp `t` stays clear so the
// generator reads it as for `ours`; it is taken before sealing, and a probe records an update
// only once it has decrypted it, so the latency includes both.
import { bytesToByteString, encode, MessageType, SEALED_KEY } from "@collabblocks/protocol";
import { openState, sealState } from "../../../packages/client/dist/e2ee-envelope.js";
import { readHeader } from "../../../packages/client/dist/sealed-header.js";
import { ours } from "./ours.mjs";

// Every generator process derives the same room key: a fixed bench secret, never a real key.
const KEY = globalThis.crypto.subtle.importKey("raw", new Uint8Array(32).fill(7), "AES-GCM", false, [
  "encrypt",
  "decrypt",
]);

export const oursE2ee = {
  ...ours,
  name: "ours-e2ee",
  /** The clear timestamp costs what it costs `ours`: size it there (encodeUpdate is async here). */
  sizing: ours,
  async prepare(conn, ctx) {
    await ours.prepare(conn, ctx);
    conn.counter = 0;
    // Warm WebCrypto (key import, thread pool) before the window, as a running app would be.
    const sealed = await sealState(
      await KEY,
      { roomId: conn.room, connectionId: "warm" },
      { keyId: 0, epoch: 0, counter: 0 },
      { cursor: null },
    );
    await openState(await KEY, { roomId: conn.room, connectionId: "warm" }, readHeader(sealed), sealed);
  },
  async encodeUpdate(conn, cursor, tUs) {
    const header = { keyId: 0, epoch: conn.epoch ?? 0, counter: ++conn.counter };
    const place = { roomId: conn.room, connectionId: conn.self ?? "" };
    const sealed = await sealState(await KEY, place, header, { cursor });
    const set = { [SEALED_KEY]: bytesToByteString(sealed) };
    if (tUs !== undefined) set.t = tUs;
    const bytes = encode({ type: MessageType.UPDATE_PRESENCE, set, del: [] });
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  },
  deliver(conn, cid, fields, t, n, sink) {
    const bin = fields?.[4]; // field index 4: the sealed state
    const parsed = bin && readHeader(bin);
    if (!parsed) return sink.error(conn, "NOT_SEALED");
    const place = { roomId: conn.room, connectionId: cid };
    // Recorded once opened: the receiver's decryption is part of the latency.
    KEY.then((key) => openState(key, place, parsed, new Uint8Array(bin)))
      .then(() => sink.update(conn, t, n))
      .catch((err) => sink.error(conn, `DECRYPT: ${err.message}`));
  },
};
