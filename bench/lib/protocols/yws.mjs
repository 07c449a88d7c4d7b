// Client side of the y-websocket peer (awareness only; the document stays empty).
// Messages are binary: varuint type (0 sync, 1 awareness) then, for awareness, a
// varuint8array holding varuint count, then per client: varuint clientID, varuint
// clock, varstring JSON state. Each connection is one awareness client whose
// clientID is its global index + 1; its clock grows by one per update.
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";

const MESSAGE_AWARENESS = 1;

export const yws = {
  name: "yws",
  async prepare(conn) {
    conn.clientId = conn.gid + 1;
    conn.clock = 0;
  },
  path(conn) {
    return `/${encodeURIComponent(conn.room)}`;
  },
  onOpen() {},
  encodeUpdate(conn, cursor, tUs) {
    const update = encoding.createEncoder();
    encoding.writeVarUint(update, 1);
    encoding.writeVarUint(update, conn.clientId);
    encoding.writeVarUint(update, ++conn.clock);
    encoding.writeVarString(update, JSON.stringify({ cursor, t: tUs }));
    const msg = encoding.createEncoder();
    encoding.writeVarUint(msg, MESSAGE_AWARENESS);
    encoding.writeVarUint8Array(msg, encoding.toUint8Array(update));
    const bytes = encoding.toUint8Array(msg);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  },
  binary: true,
  onMessage(conn, _opcode, payload, sink) {
    // The server speaks first (sync step 1): that is our "joined".
    if (!conn.ready) sink.ready(conn);
    const d = decoding.createDecoder(payload);
    if (decoding.readVarUint(d) !== MESSAGE_AWARENESS) return;
    decoding.readVarUint(d); // byte length of the update
    const count = decoding.readVarUint(d);
    if (!(conn.probe && sink.measuring)) {
      // The server echoes our own update, alone in its message: skip it.
      const own = conn.sender && count === 1 && decoding.readVarUint(d) === conn.clientId;
      return sink.cheap(conn, own ? 0 : count);
    }
    for (let i = 0; i < count; i++) {
      const clientId = decoding.readVarUint(d);
      decoding.readVarUint(d); // clock
      const state = JSON.parse(decoding.readVarString(d));
      if (state === null || typeof state.t !== "number") continue;
      if (clientId === conn.clientId) sink.ack(conn, state.t);
      else sink.update(conn, state.t, 1);
    }
  },
};
