// Page configuration read from the URL: the room (`?room=`, default "demo") and
// the server (`?server=`, default the page's own origin, which is where
// `collabblocks dev` serves both the page and the WebSocket endpoint).

import { readKeyFragment } from "./e2ee.js";

/** Room used when `?room=` is absent or invalid. */
export const DEFAULT_ROOM = "demo";
/** The server's room id rule (docs/ARCHITECTURE.md#the-edge), repeated so the demo can fall back instead of throwing. */
const ROOM_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface PageConfig {
  readonly room: string;
  /** Set when `?room=` was given but unusable, so the page can say why it fell back. */
  readonly roomRejected: string | undefined;
  /** http(s) origin of the presence server: tokens come from here, WebSockets go here. */
  readonly serverOrigin: string;
  /** ws(s) URL for `createClient({ url })`. */
  readonly wsUrl: string;
  /** `?big=1`: the big-room mode (a world larger than the screen, a pannable viewport, views). */
  readonly big: boolean;
  /** `#key=…`: the encrypted room's key (e2ee.ts); undefined for a clear room, or a tab without the key. */
  readonly keyText: string | undefined;
}

export function readPageConfig(location: { readonly href: string }): PageConfig {
  const url = new URL(location.href);
  const requested = url.searchParams.get("room");
  const valid = requested !== null && ROOM_ID.test(requested);
  let serverOrigin = url.origin;
  const server = url.searchParams.get("server");
  if (server) {
    try {
      const parsed = new URL(server, url);
      if (parsed.protocol === "http:" || parsed.protocol === "https:") serverOrigin = parsed.origin;
    } catch {
      // Unparsable ?server=: keep the page's origin.
    }
  }
  return {
    room: valid ? requested : DEFAULT_ROOM,
    roomRejected: requested !== null && !valid ? requested : undefined,
    serverOrigin,
    wsUrl: serverOrigin.replace(/^http/, "ws"),
    big: url.searchParams.get("big") === "1",
    keyText: readKeyFragment(url.hash),
  };
}
