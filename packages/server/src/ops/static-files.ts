// Serves a directory (the demo build) at `/`, or a placeholder page. Only GET and
// HEAD; paths are resolved inside the root so `..` cannot escape it.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, normalize, sep } from "node:path";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".map": "application/json",
  ".txt": "text/plain; charset=utf-8",
};

export const PLACEHOLDER_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CollabBlocks Presence</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}code{background:#f2f2f2;padding:0 .2em}</style>
</head><body>
<h1>CollabBlocks Presence — dev server</h1>
<p>The server is running. The live-cursors demo is not built yet (<code>apps/demo/dist</code>).</p>
<ul>
<li>Get a token: <code>POST /v1/dev/token</code> with <code>{"room":"room-1","user":"alice"}</code></li>
<li>Connect: <code>ws://HOST:PORT/v1/rooms/room-1?token=…</code></li>
<li>Health: <a href="/healthz">/healthz</a>, <a href="/readyz">/readyz</a>, <a href="/metrics">/metrics</a></li>
</ul>
</body></html>
`;

/** Serves `url` from `root`; returns false when nothing matched (the caller answers 404). */
export async function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  let pathname: string;
  try {
    pathname = decodeURIComponent((req.url ?? "/").split("?")[0] ?? "/");
  } catch {
    // Malformed percent-encoding (`GET /%`): the client's mistake, answered 400, not logged.
    res.writeHead(400, { "content-type": "text/plain; charset=utf-8" });
    res.end("bad path: malformed percent-encoding");
    return true;
  }
  const relative = normalize(pathname).replace(/^([/\\])+/, "");
  const base = normalize(root + sep);
  let file = join(base, relative);
  if (!file.startsWith(base)) return false;
  let info = await stat(file).catch(() => undefined);
  if (info?.isDirectory()) {
    file = join(file, "index.html");
    info = await stat(file).catch(() => undefined);
  }
  if (!info?.isFile()) {
    // Single-page app routes (no extension) fall back to the index.
    if (extname(pathname) !== "") return false;
    file = join(base, "index.html");
    info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return false;
  }
  res.writeHead(200, {
    "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
    "content-length": info.size,
  });
  if (req.method === "HEAD") res.end();
  else createReadStream(file).pipe(res);
  return true;
}
