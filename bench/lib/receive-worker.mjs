// One process of the receive benchmark (bench/receive.mjs, docs/BENCHMARKS.md#receive-cost):
//   --role send     N clients in the room, the first S of them moving a cursor at H Hz;
//   --role receive  N clients that only listen; measures this process's CPU per received update;
//   --role react    one SDK client under a headless React tree (jsdom) drawing every other
//                   connection's cursor; measures CPU per rendered cursor update.
// --client ours|socketio picks the SDK (built @collabblocks/client) or socket.io-client.
// Prints one JSON line `{"event":"ready"}` once every client has joined, then, after
// the warm-up and the window, `{"event":"result",…}`, and exits.
import { parseArgs } from "node:util";

const { values: o } = parseArgs({
  options: {
    role: { type: "string" },
    client: { type: "string", default: "ours" },
    url: { type: "string" },
    room: { type: "string", default: "receive" },
    conns: { type: "string", default: "100" },
    senders: { type: "string", default: "0" },
    hz: { type: "string", default: "20" },
    warmup: { type: "string", default: "2" },
    duration: { type: "string", default: "10" },
    id: { type: "string", default: "0" },
  },
});
const conns = Number(o.conns);
const senders = Number(o.senders);
const hz = Number(o.hz);
const say = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Joins one connection; returns { send(cursor), onUpdate(cb) } and resolves once it is in the room. */
async function connectOurs(i) {
  const { createClient } = await import("@collabblocks/client");
  const { WebSocket } = await import("ws");
  const user = `${o.role}-${o.id}-${i}`;
  const client = createClient({
    url: o.url.replace(/^http/, "ws"),
    WebSocket,
    authEndpoint: async (room) => {
      const res = await fetch(new URL("/v1/dev/token", o.url), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ room, user }),
      });
      return (await res.json()).token;
    },
  });
  const { room } = client.enterRoom(o.room, { initialPresence: { cursor: null } });
  await new Promise((resolve) => {
    const off = room.subscribe("status", (s) => {
      if (s === "connected") {
        off();
        resolve();
      }
    });
  });
  return {
    room,
    send: (cursor) => room.updatePresence({ cursor }),
    onUpdate: (cb) => room.subscribe("others", (_list, e) => e.type === "update" && cb()),
  };
}

async function connectSocketIo(i) {
  const { io } = await import("socket.io-client");
  const socket = io(o.url, { transports: ["websocket"], query: { room: o.room }, forceNew: true });
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  const id = `${o.role}-${o.id}-${i}`;
  return {
    send: (cursor) => socket.emit("c", { id, cursor }),
    onUpdate: (cb) => socket.on("c", cb),
  };
}

const connect = o.client === "ours" ? connectOurs : connectSocketIo;

async function joinAll(n) {
  const out = [];
  // A few at a time: the dev server's token endpoint and accept loop are shared with the run.
  for (let i = 0; i < n; i += 10) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(10, n - i) }, (_, k) => connect(i + k)))));
  }
  return out;
}

/** CPU µs of this process (user + system) spent while `fn`'s window runs. */
async function measureWindow(count) {
  await sleep(Number(o.warmup) * 1000);
  const c0 = count();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(Number(o.duration) * 1000);
  const cpu = process.cpuUsage(cpu0);
  const elapsedMs = performance.now() - t0;
  const n = count() - c0;
  const cpuUs = cpu.user + cpu.system;
  return {
    updates: n,
    cpuUs,
    elapsedMs,
    cores: cpuUs / 1000 / elapsedMs,
    usPerUpdate: n > 0 ? cpuUs / n : null,
  };
}

async function send() {
  const clients = await joinAll(conns);
  say({ event: "ready" });
  // Every client shows a cursor (a room of 100 cursors for the React run); `senders` of them move.
  for (const [k, c] of clients.entries()) c.send({ x: (k % 10) / 10, y: Math.floor(k / 10) / 10 });
  const movers = clients.slice(0, senders);
  let step = 0;
  setInterval(() => {
    step++;
    for (const [k, c] of movers.entries()) {
      // Normalised 0–1, as the protocol's `cursor` is (PROTOCOL.md §6).
      const x = Math.round(5000 + 4000 * Math.sin((step + k) / 10)) / 10000;
      c.send({ x, y: Math.round(5000 + 4000 * Math.cos(step / 7)) / 10000 });
    }
  }, 1000 / hz);
}

async function receive() {
  const clients = await joinAll(conns);
  let received = 0;
  for (const c of clients) c.onUpdate(() => received++);
  say({ event: "ready" });
  say({ event: "result", ...(await measureWindow(() => received)) });
  process.exit(0);
}

async function react() {
  const { renderCursors } = await import("./receive-react.mjs");
  const [client] = await joinAll(1);
  const tree = await renderCursors(client.room);
  let received = 0;
  client.onUpdate(() => received++);
  say({ event: "ready" });
  const r0 = received;
  const result = await measureWindow(() => tree.renders());
  say({ event: "result", ...result, received: received - r0, cursorsDrawn: tree.drawn() });
  process.exit(0);
}

const roles = { send, receive, react };
if (!(o.role in roles)) throw new RangeError(`--role must be send, receive or react, got ${o.role}`);
await roles[o.role]();
