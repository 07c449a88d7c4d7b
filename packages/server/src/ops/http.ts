// HTTP endpoints on the edge's port (docs/OPERATIONS.md#http-endpoints-and-health): /healthz, /readyz, /metrics
// (unless it is on the admin port, admin-server.ts), the dev token issuer with its JWKS, and static files at `/`.
import { randomBytes } from "node:crypto";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { assertJson, isValidRoomId, type Json } from "@collabblocks/protocol";
import type { Logger } from "pino";
import type { Simulator } from "../dev/simulator.js";
import type { DevIssuer } from "../edge/dev-issuer.js";
import type { Metrics } from "./metrics.js";
import { PLACEHOLDER_HTML, serveStatic } from "./static-files.js";

/** Largest dev token request body, bytes. */
const MAX_DEV_BODY_BYTES = 16 * 1024;

export interface HttpOptions {
  /** Served at /metrics; undefined when the admin port serves them (/metrics is then 404 here). */
  readonly metrics?: Metrics;
  /** True when the process can serve (listening, not shutting down, link ready). */
  readonly ready: () => boolean;
  readonly devIssuer?: DevIssuer;
  /** Dev mode: simulated participants (`POST /v1/dev/simulate`). */
  readonly simulator?: Simulator;
  /** Dev mode: origins besides loopback ones whose pages may call the dev endpoints (`--dev-allow-origin`). */
  readonly devAllowOrigins?: readonly string[];
  /** Directory served at `/`; undefined = the placeholder page (dev) or 404 (serve). */
  readonly staticDir?: string;
  readonly placeholder?: boolean;
  readonly logger: Logger;
}

/** The host part of a URL for a bound interface: a wildcard bind is reached on loopback; IPv6 in brackets. */
export function displayHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

/** Writes the Prometheus exposition: the one answer of /metrics, on either port. */
export async function writeMetrics(metrics: Metrics, res: ServerResponse): Promise<void> {
  const text = await metrics.registry.metrics();
  res.writeHead(200, { "content-type": metrics.registry.contentType });
  res.end(text);
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * The dev endpoints mint tokens: a page from any other site must not be able to
 * call them from a developer's browser. Allowed: no Origin (curl, the SDK on Node),
 * loopback origins on any port (the demo, an app on a Vite dev server) and the
 * `--dev-allow-origin` list; anything else gets 403.
 */
const LOOPBACK_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

function devCors(req: IncomingMessage, allowed: readonly string[]): Record<string, string> | undefined {
  const origin = req.headers.origin;
  if (origin === undefined) return {};
  if (!LOOPBACK_ORIGIN.test(origin) && !allowed.includes(origin)) return undefined;
  return {
    "access-control-allow-origin": origin,
    vary: "Origin",
    "access-control-allow-methods": "POST, OPTIONS",
    "access-control-allow-headers": "content-type",
    // The SDK's default auth fetch sends credentials (the dev user cookie below).
    "access-control-allow-credentials": "true",
    "access-control-max-age": "600",
  };
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_DEV_BODY_BYTES) {
        resolve(undefined);
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/**
 * Reads a JSON body of at most MAX_DEV_BODY_BYTES; answers 413 or 400 itself and
 * returns undefined then.
 */
async function readJsonBody(
  req: IncomingMessage,
  res: ServerResponse,
  cors: Record<string, string>,
): Promise<{ readonly body: unknown } | undefined> {
  const text = await readBody(req);
  if (text === undefined) return void json(res, 413, { error: "body too large" }, cors);
  try {
    return { body: JSON.parse(text) };
  } catch {
    return void json(res, 400, { error: "body is not JSON" }, cors);
  }
}

/** The cookie that keeps a browser's anonymous dev user across token requests. */
const DEV_USER_COOKIE = "collabblocks_dev_user";

/** The anonymous dev user a request's cookie names, if it names a valid one. */
function devUserFromCookie(req: IncomingMessage): string | undefined {
  const match = new RegExp(`(?:^|;\\s*)${DEV_USER_COOKIE}=(anon-[A-Za-z0-9_-]{8,32})(?:;|$)`).exec(
    req.headers.cookie ?? "",
  );
  return match?.[1];
}

/** Validates `{room, user?, plan?, info?, org?}`; returns an error message or the request. */
function parseDevTokenRequest(
  body: unknown,
): string | { room: string; user: string | undefined; plan?: string; info?: Json; org?: string } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return "body must be a JSON object";
  const { room, user, plan, info, org } = body as Record<string, unknown>;
  if (typeof room !== "string" || !isValidRoomId(room)) return "room must match [A-Za-z0-9._:-]{1,128}";
  if (user !== undefined && (typeof user !== "string" || user.length === 0 || user.length > 256))
    return "user must be a string of 1–256";
  if (plan !== undefined && (typeof plan !== "string" || plan.length === 0 || plan.length > 64)) {
    return "plan must be a string of 1–64";
  }
  if (org !== undefined && typeof org !== "string") return "org must be a string";
  if (info !== undefined) {
    try {
      assertJson(info, "info");
    } catch {
      return "info must be a JSON value";
    }
  }
  return { room, user, plan, info: info as Json | undefined, org };
}

/** `POST /v1/dev/simulate {room, count?, clear?}`: adds (or clears) simulated participants. */
async function simulate(
  sim: Simulator,
  req: IncomingMessage,
  res: ServerResponse,
  cors: Record<string, string>,
): Promise<void> {
  const read = await readJsonBody(req, res, cors);
  if (read === undefined) return;
  const { body } = read;
  const { room, count, clear } = (typeof body === "object" && body !== null ? body : {}) as Record<
    string,
    unknown
  >;
  if (typeof room !== "string" || !isValidRoomId(room)) {
    return json(res, 400, { error: "room must match [A-Za-z0-9._:-]{1,128}" }, cors);
  }
  if (clear === true) {
    sim.clear(room);
    return json(res, 200, { room, simulated: 0 }, cors);
  }
  if (count !== undefined && (typeof count !== "number" || !Number.isSafeInteger(count) || count < 0)) {
    return json(res, 400, { error: "count must be a non-negative integer" }, cors);
  }
  json(res, 200, { room, simulated: await sim.add(room, (count as number | undefined) ?? 0) }, cors);
}

async function devToken(
  issuer: DevIssuer,
  req: IncomingMessage,
  res: ServerResponse,
  cors: Record<string, string>,
): Promise<void> {
  const read = await readJsonBody(req, res, cors);
  if (read === undefined) return;
  const parsed = parseDevTokenRequest(read.body);
  if (typeof parsed === "string") return json(res, 400, { error: parsed }, cors);
  // What the SDK's default auth sends is `{room}`: the browser gets an anonymous
  // user, kept in a cookie so a reload is the same person.
  const headers: Record<string, string> = { ...cors, "cache-control": "no-store" };
  let user = parsed.user ?? devUserFromCookie(req);
  if (user === undefined) {
    user = `anon-${randomBytes(9).toString("base64url")}`;
    headers["set-cookie"] = `${DEV_USER_COOKIE}=${user}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax`;
  }
  json(res, 200, { token: await issuer.issue({ ...parsed, user }), user }, headers);
}

export function createHttpHandler(options: HttpOptions): RequestListener {
  const { metrics, devIssuer, logger } = options;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? "/").split("?")[0];
    const method = req.method ?? "GET";
    if (path === "/healthz") return json(res, 200, { status: "ok" });
    if (path === "/readyz") {
      const ready = options.ready();
      return json(res, ready ? 200 : 503, { status: ready ? "ready" : "not ready" });
    }
    // Checked before static files: with metrics on the admin port, the SPA fallback
    // must not answer /metrics with the demo page.
    if (path === "/metrics")
      return metrics ? writeMetrics(metrics, res) : json(res, 404, { error: "not found" });
    if (devIssuer && path === "/.well-known/jwks.json") {
      return json(res, 200, devIssuer.jwks, { "access-control-allow-origin": "*" });
    }
    if (devIssuer && (path === "/v1/dev/token" || (options.simulator && path === "/v1/dev/simulate"))) {
      const cors = devCors(req, options.devAllowOrigins ?? []);
      if (cors === undefined) return json(res, 403, { error: "origin not allowed for dev endpoints" });
      if (method === "OPTIONS") {
        res.writeHead(204, cors);
        res.end();
        return;
      }
      if (method !== "POST")
        return json(res, 405, { error: "use POST" }, { allow: "POST, OPTIONS", ...cors });
      if (path === "/v1/dev/token") return devToken(devIssuer, req, res, cors);
      return simulate(options.simulator as Simulator, req, res, cors);
    }

    if (method === "GET" || method === "HEAD") {
      if (options.staticDir !== undefined && (await serveStatic(options.staticDir, req, res))) return;
      if (options.placeholder && (path === "/" || path === "/index.html")) {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        res.end(method === "HEAD" ? undefined : PLACEHOLDER_HTML);
        return;
      }
    }
    json(res, 404, { error: "not found" });
  };
  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err, path: (req.url ?? "").split("?")[0] }, "http handler failed");
      if (!res.headersSent) json(res, 500, { error: "internal error" });
      else res.destroy();
    });
  };
}
