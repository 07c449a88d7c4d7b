// Client side of the raw-`ws` peers (naive forwarding and 16 ms tick batching):
// what a hand-rolled presence server typically speaks. Each update is a JSON text
// message `{"id":…,"cursor":{"x":…,"y":…},"t":…}` whose id is a 22-character
// random connection id, like ours (a small integer would flatter JSON by ~20
// bytes per update next to ours); the naive server forwards it
// as is to the room's other sockets, the tick server sends a room's updates of
// one tick as one JSON array `[{…},{…}]` to every socket (the sender's own too).

import { connectionIdFor, countOccurrences } from "./count.mjs";

const ID_KEY = Buffer.from('{"id":');

export function createWsJsonProtocol(name) {
  return {
    name,
    async prepare(conn) {
      conn.uid = connectionIdFor(conn.gid);
      conn.ownMarker = Buffer.from(`{"id":"${conn.uid}",`);
    },
    path(conn) {
      return `/${encodeURIComponent(conn.room)}?id=${conn.gid}`;
    },
    onOpen(conn, sink) {
      sink.ready(conn); // these servers send nothing on connect
    },
    encodeUpdate(conn, cursor, tUs) {
      return JSON.stringify({ id: conn.uid, cursor, t: tUs });
    },
    binary: false,
    onMessage(conn, _opcode, payload, sink) {
      if (!(conn.probe && sink.measuring)) {
        // Updates of others: every `{"id":` but our own (the tick peer echoes it).
        const own = conn.sender ? countOccurrences(payload, conn.ownMarker) : 0;
        sink.cheap(conn, countOccurrences(payload, ID_KEY) - own);
        return;
      }
      const msg = JSON.parse(payload.toString());
      const list = Array.isArray(msg) ? msg : [msg];
      for (const m of list) {
        if (m.id === conn.uid) sink.ack(conn, m.t);
        else sink.update(conn, m.t, 1);
      }
    },
  };
}
