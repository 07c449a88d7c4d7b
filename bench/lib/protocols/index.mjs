// Per-target client protocols. Each one has:
//   prepare(conn, ctx)   async, before connecting (e.g. fetch a token)
//   path(conn)           the WebSocket request path
//   onOpen(conn, sink)   after the upgrade
//   encodeUpdate(conn, cursor, tUs) → string | Buffer, or a promise of one (ours-e2ee seals),
//                        with `binary` (tUs undefined: without the timestamp, to size what the
//                        bench itself adds; `sizing`, when set, is the protocol sized instead)
//   onMessage(conn, opcode, payload, sink)
// and reports through the sink: ready(conn), cheap(conn, n) (n updates counted
// without decoding), update(conn, tUs, n, viaPod) (a probe decoded an update of another
// sender sent at tUs covering n patches), ack(conn, tUs) (its own update came
// back), error(conn, code). `sink.measuring` says whether probes should decode.
import { ours } from "./ours.mjs";
import { oursE2ee } from "./ours-e2ee.mjs";
import { socketio } from "./socketio.mjs";
import { wsFloor } from "./ws-floor.mjs";
import { createWsJsonProtocol } from "./ws-json.mjs";
import { yws } from "./yws.mjs";

export const PROTOCOLS = {
  ours,
  "ours-e2ee": oursE2ee,
  "ws-naive": createWsJsonProtocol("ws-naive"),
  "ws-tick": createWsJsonProtocol("ws-tick"),
  socketio,
  yws,
  "ws-floor": wsFloor,
};
