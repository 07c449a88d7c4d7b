// Peer: raw `ws` with fixed-tick batching. Messages of a room wait for the next
// tick (default 16 ms) and leave together as one JSON array frame, written to
// every socket of the room (the sender's own update included, as an ack). Fewest
// frames, so the least CPU per update — and ~tick/2 added latency even when idle.
import { WebSocketServer } from "ws";
import { createPlainHttpServer, listen, peerFlags, roomFromUrl } from "./peer-common.mjs";

const { port, tickMs } = peerFlags();
const server = createPlainHttpServer();
const wss = new WebSocketServer({ server, perMessageDeflate: false });
/** @type {Map<string, {sockets: Set<import("ws").WebSocket>, pending: Buffer[]}>} */
const rooms = new Map();
const OPEN = Buffer.from("[");
const COMMA = Buffer.from(",");
const CLOSE = Buffer.from("]");

wss.on("connection", (ws, req) => {
  const name = roomFromUrl(req.url);
  let room = rooms.get(name);
  if (room === undefined) {
    room = { sockets: new Set(), pending: [] };
    rooms.set(name, room);
  }
  room.sockets.add(ws);
  ws.on("message", (data) => {
    room.pending.push(data);
  });
  ws.on("close", () => {
    room.sockets.delete(ws);
    if (room.sockets.size === 0) rooms.delete(name);
  });
});

function flush() {
  for (const room of rooms.values()) {
    if (room.pending.length === 0) continue;
    const parts = [OPEN];
    room.pending.forEach((m, i) => {
      if (i > 0) parts.push(COMMA);
      parts.push(m);
    });
    parts.push(CLOSE);
    room.pending = [];
    const frame = Buffer.concat(parts);
    for (const ws of room.sockets) if (ws.readyState === 1) ws.send(frame, { binary: false });
  }
}
const timer = setInterval(flush, tickMs);
listen(server, port, () => clearInterval(timer));
