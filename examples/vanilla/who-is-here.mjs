#!/usr/bin/env node
// Plain JavaScript, no framework: who is in a room, one line per change, read through the
// client's Svelte-style stores (packages/client/README.md#stores-svelte-and-plain-js). Each store's
// `subscribe` calls back at once with the current value and again on every change, and
// returns the function that stops it. With --move it also moves a cursor, like a busy tab.
//
//   npx collabblocks dev                                    # a local server on :8787
//   node examples/vanilla/who-is-here.mjs --name Ada --move # a tab of Ada's
//   node examples/vanilla/who-is-here.mjs --name Ada        # Ada's second tab
//   node examples/vanilla/who-is-here.mjs --name Bob        # prints: here: Ada (2 tabs)
//
// Tokens come from the dev server's `POST /v1/dev/token`; a real app asks its own backend
// (docs/AUTH.md). In a browser, drop `WebSocket` (the browser has one) and `authEndpoint`
// becomes your backend's URL.
import { parseArgs } from "node:util";
import { createClient, roomStores } from "@collabblocks/client";
import { WebSocket } from "ws";

const { values: o } = parseArgs({
  options: {
    url: { type: "string", default: "http://127.0.0.1:8787" },
    room: { type: "string", default: "demo" },
    name: { type: "string", default: "Ada" },
    move: { type: "boolean", default: false },
    for: { type: "string" }, // seconds; default: until Ctrl-C
  },
});

const client = createClient({
  url: o.url.replace(/^http/, "ws"),
  WebSocket,
  async authEndpoint(room) {
    const res = await fetch(new URL("/v1/dev/token", o.url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ room, user: o.name.toLowerCase(), info: { name: o.name } }),
    });
    return (await res.json()).token;
  },
});
const { room, leave } = client.enterRoom(o.room, { initialPresence: { cursor: null } });
const { status, users } = roomStores(room);

let printed = "";
const stops = [
  status.subscribe((s) => console.log(`status: ${s}`)),
  users.subscribe((list) => {
    const names = list.map((u) => {
      const tabs = u.connections.length;
      return `${u.info?.name ?? u.userId}${tabs > 1 ? ` (${tabs} tabs)` : ""}`;
    });
    // The store also calls back when someone's presence changes (a cursor moved): print
    // only when the list of names changed.
    const line = `here: ${names.join(", ") || "nobody else"}`;
    if (line !== printed) console.log(line);
    printed = line;
  }),
];

const mover = o.move
  ? setInterval(() => room.updatePresence({ cursor: { x: Math.random(), y: Math.random() } }), 100)
  : undefined;

function stop() {
  clearInterval(mover);
  for (const unsubscribe of stops) unsubscribe();
  leave(); // others see this tab leave at once, not after a timeout
  client.destroy();
}
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
if (o.for !== undefined) setTimeout(stop, Number(o.for) * 1000);
