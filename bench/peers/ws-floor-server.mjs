// The write-loop floor of the S3 slice scenario (docs/BENCHMARKS.md#s3-slice): bare
// `ws`, no protocol, no state. Every 1/hz s it writes one binary frame of
// `--frame-bytes` (on the wire, header included) to every open socket in one pass —
// what an edge's flush does at the least — so its CPU per frame is the floor the
// edge's is compared with. Reads nothing; clients only count frames.
import { parseArgs } from "node:util";
import { WebSocketServer } from "ws";
import { createPlainHttpServer, listen } from "./peer-common.mjs";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    "frame-bytes": { type: "string", default: "1000" },
    hz: { type: "string", default: "20" },
  },
});
const frameBytes = Number(values["frame-bytes"]);
const hz = Number(values.hz);
if (!(frameBytes >= 3 && hz > 0)) throw new RangeError("--frame-bytes ≥ 3 and --hz > 0 needed");
/** WebSocket header of an unmasked server frame of `n` payload bytes (RFC 6455 §5.2). */
const headerBytes = (n) => (n < 126 ? 2 : n < 65536 ? 4 : 10);
let payload = frameBytes - 2;
while (payload + headerBytes(payload) > frameBytes) payload--;
// Not compressible and not all zeros: the bytes a MsgPack batch would be, as far as the kernel cares.
const frame = Buffer.alloc(payload);
for (let i = 0; i < payload; i++) frame[i] = (i * 2654435761) >>> 24;

const server = createPlainHttpServer();
const wss = new WebSocketServer({ server, perMessageDeflate: false });
const sockets = new Set();
wss.on("connection", (ws) => {
  sockets.add(ws);
  ws.on("close", () => sockets.delete(ws));
});

// Rounds are due at t0 + k/hz; each timer sleeps to the next one (no busy 1 ms timer).
const periodMs = 1000 / hz;
const t0 = performance.now();
let round = 0;
function tick() {
  const due = Math.floor((performance.now() - t0) / periodMs);
  if (due >= round) {
    for (const ws of sockets) if (ws.readyState === 1) ws.send(frame, { binary: true });
    round = due + 1;
  }
  setTimeout(tick, Math.max(0, t0 + round * periodMs - performance.now()));
}
tick();
listen(server, Number(values.port));
