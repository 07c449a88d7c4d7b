// Peer: Socket.IO 4 room broadcast, the usual way to hand-roll presence. Each
// socket joins the room named by its `room` query parameter; event "c" is
// rebroadcast with `socket.to(room).emit` (Socket.IO encodes the packet once per
// broadcast and writes it to every other socket of the room). With --redis URL
// the @socket.io/redis-streams-adapter shares rooms between processes (S3/S4).
import { Server } from "socket.io";
import { createPlainHttpServer, listen, peerFlags } from "./peer-common.mjs";

const { port, redis } = peerFlags();
const server = createPlainHttpServer();
const io = new Server(server, { transports: ["websocket"], perMessageDeflate: false, serveClient: false });
let redisClient = null;
if (redis !== null) {
  const { Redis } = await import("ioredis");
  const { createAdapter } = await import("@socket.io/redis-streams-adapter");
  redisClient = new Redis(redis);
  io.adapter(createAdapter(redisClient));
}

io.on("connection", (socket) => {
  const room = String(socket.handshake.query.room ?? "");
  socket.join(room);
  socket.on("c", (data) => {
    socket.to(room).emit("c", data);
  });
});
listen(server, port, () => redisClient?.disconnect());
