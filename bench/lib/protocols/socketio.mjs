// Client side of the Socket.IO 4 peer, spoken directly (Engine.IO v4 over a
// WebSocket, no polling): socket.io-client per connection would make the
// generator, not the server, the bottleneck at 10 000 connections.
//   server → "0{…}" (Engine.IO open)   client → "40" (connect to namespace "/")
//   server → "40{"sid":…}" (connected) then events "42["c",{…}]"
//   server → "2" (ping)                client → "3" (pong)
// The server puts each socket in the room named by the `room` query parameter
// and rebroadcasts event "c" with `socket.to(room).emit` (everyone but the sender).

import { connectionIdFor } from "./count.mjs";

const EVENT_PREFIX = 0x34; // "4"

export const socketio = {
  name: "socketio",
  async prepare(conn) {
    conn.uid = connectionIdFor(conn.gid); // 22 characters, like ours and Socket.IO's own ids
  },
  path(conn) {
    return `/socket.io/?EIO=4&transport=websocket&room=${encodeURIComponent(conn.room)}&id=${conn.gid}`;
  },
  onOpen() {},
  encodeUpdate(conn, cursor, tUs) {
    return `42${JSON.stringify(["c", { id: conn.uid, cursor, t: tUs }])}`;
  },
  binary: false,
  onMessage(conn, _opcode, payload, sink) {
    const c0 = payload[0];
    if (c0 === EVENT_PREFIX && payload[1] === 0x32 /* "2": EVENT */) {
      if (!(conn.probe && sink.measuring)) return sink.cheap(conn, 1);
      const [, m] = JSON.parse(payload.toString("utf8", 2));
      if (m.id === conn.uid) sink.ack(conn, m.t);
      else sink.update(conn, m.t, 1);
      return;
    }
    const text = payload.toString();
    if (text === "2") conn.ws.send("3", false);
    else if (text.startsWith("0{")) conn.ws.send("40", false);
    else if (text.startsWith("40")) sink.ready(conn);
    else if (text.startsWith("44")) sink.error(conn, "CONNECT_ERROR");
  },
};
