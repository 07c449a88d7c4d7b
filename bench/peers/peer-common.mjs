// Shared plumbing of the peer servers: flags, the ready line, clean shutdown.
// Each peer binds 127.0.0.1 and prints the same ready line as `collabblocks`
// (`{"event":"listening","role":"all","url":…}`), so the bench starts all
// targets the same way.
import http from "node:http";
import { parseArgs } from "node:util";

/** Flags: --port (0 = free port), --tick-ms (batching peers, default 16), --redis URL (Socket.IO). */
export function peerFlags() {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      "tick-ms": { type: "string", default: "16" },
      redis: { type: "string" },
    },
  });
  return { port: Number(values.port), tickMs: Number(values["tick-ms"]), redis: values.redis ?? null };
}

export function createPlainHttpServer() {
  return http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok");
  });
}

/** Room name from a request path `/room?…` (percent-decoded). */
export function roomFromUrl(url) {
  return decodeURIComponent(new URL(url ?? "/", "http://localhost").pathname.slice(1));
}

export function listen(server, port, onClose = () => {}) {
  server.listen(port, "127.0.0.1", () => {
    const { port: bound } = server.address();
    process.stdout.write(
      `${JSON.stringify({ event: "listening", role: "all", url: `http://127.0.0.1:${bound}` })}\n`,
    );
  });
  const shutdown = () => {
    onClose();
    process.exit(0);
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
}
