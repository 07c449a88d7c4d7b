// Peer: raw `ws`, naive forwarding. Every message is sent on at once, as is, to
// every other socket of its room: the lowest latency possible, and one frame
// per update per receiver (the cost that saturates first).
import { WebSocketServer } from "ws";
import { createPlainHttpServer, listen, peerFlags, roomFromUrl } from "./peer-common.mjs";

const { port } = peerFlags();
const server = createPlainHttpServer();
const wss = new WebSocketServer({ server, perMessageDeflate: false });
/** @type {Map<string, Set<import("ws").WebSocket>>} */
const rooms = new Map();

wss.on("connection", (ws, req) => {
  const name = roomFromUrl(req.url);
  let room = rooms.get(name);
  if (room === undefined) {
    room = new Set();
    rooms.set(name, room);
  }
  room.add(ws);
  ws.on("message", (data, isBinary) => {
    for (const peer of room) {
      if (peer !== ws && peer.readyState === 1) peer.send(data, { binary: isBinary });
    }
  });
  ws.on("close", () => {
    room.delete(ws);
    if (room.size === 0) rooms.delete(name);
  });
});
listen(server, port);
