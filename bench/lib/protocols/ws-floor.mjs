// Client side of the write-loop floor (bench/peers/ws-floor-server.mjs): the server
// sends opaque frames and expects nothing; each frame counts as one update received.
export const wsFloor = {
  name: "ws-floor",
  async prepare() {},
  path: () => "/floor",
  onOpen(conn, sink) {
    sink.ready(conn);
  },
  // Never called with senders (the floor has none); sized once per run by the worker.
  encodeUpdate: () => "",
  binary: true,
  onMessage(conn, _opcode, _payload, sink) {
    sink.cheap(conn, 1);
  },
};
