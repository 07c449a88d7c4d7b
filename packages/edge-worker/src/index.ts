// The Worker (docs/EDGE-WORKERS.md#topology): routes `/v1/rooms/{room}` upgrades
// and the pod's `/v1/link/{room}` sockets to the room's Durable Object, named by
// the room id, so every socket of a room, wherever its client is, meets in one
// object. Everything else is answered here.
import { isValidRoomId } from "@collabblocks/protocol";
import { LINK_PATH_PREFIX, ROOMS_PATH_PREFIX } from "@collabblocks/server/portable";
import type { Env } from "./config.js";
import { join } from "./join.js";

export { PresenceRoom } from "./room-object.js";

/** The room named by a path under `prefix`, or undefined (bad encoding or id). */
function roomOf(pathname: string, prefix: string): string | undefined {
  try {
    const room = decodeURIComponent(pathname.slice(prefix.length));
    return isValidRoomId(room) ? room : undefined;
  } catch {
    return undefined;
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === "/healthz") return new Response("ok\n");
    const prefix = [ROOMS_PATH_PREFIX, LINK_PATH_PREFIX].find((p) => pathname.startsWith(p));
    if (prefix === undefined) return new Response("not found\n", { status: 404 });
    const room = roomOf(pathname, prefix);
    // A bad room id gets the Node edge's answer (an upgrade, INVALID_ROOM, close 4000) without an object.
    if (room === undefined)
      return prefix === ROOMS_PATH_PREFIX
        ? join(undefined, request)
        : new Response("bad room\n", { status: 400 });
    return env.ROOMS.get(env.ROOMS.idFromName(room)).fetch(request);
  },
};
