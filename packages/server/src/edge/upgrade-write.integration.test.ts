// A join's first bytes (the 101 answer, WELCOME, the join snapshot, OCCUPANCY)
// leave the edge in one write (upgrade.ts), counted on the server's own socket.
import { Socket } from "node:net";
import { decodeServerMessage, MessageType } from "@collabblocks/protocol";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type DevServer, startDevServer } from "../test-support/dev-server.js";
import { openRaw, type RawClient } from "../test-support/raw-ws.js";

let dev: DevServer;
const raws: RawClient[] = [];

beforeAll(async () => {
  dev = await startDevServer();
});
afterAll(async () => {
  for (const r of raws) r.socket.destroy();
  await dev.close();
});

it("writes the 101 answer, the WELCOME and the join snapshot in one syscall", async () => {
  // Node's Socket writes each flush of its stream through _writeGeneric (one write or
  // writev syscall): counted per socket for the server's sockets in this process.
  const proto = Socket.prototype as unknown as { _writeGeneric: (...a: unknown[]) => unknown };
  const original = proto._writeGeneric;
  const writes = new Map<string, number>();
  proto._writeGeneric = function (this: Socket, ...a: unknown[]) {
    const key = `${this.remotePort}`;
    writes.set(key, (writes.get(key) ?? 0) + 1);
    return original.apply(this, a);
  };
  try {
    // A warm-up join loads the room, so the measured join waits on nothing but microtasks.
    await dev.join("one-write", "warm");
    const token = await dev.server.devIssuer!.issue({ room: "one-write", user: "raw" });
    const raw = await openRaw(dev.server.port, `/v1/rooms/one-write?token=${token}`);
    raws.push(raw);
    const joined = () =>
      raw.frames.data.some((f) => decodeServerMessage(f.payload).type === MessageType.SNAPSHOT_DONE);
    const deadline = performance.now() + 5000;
    while (!joined() && performance.now() < deadline) await raw.changed();
    const types = raw.frames.data.map((f) => decodeServerMessage(f.payload).type);
    expect(types.slice(0, 2)).toEqual([MessageType.WELCOME, MessageType.SNAPSHOT_CHUNK]);
    expect(writes.get(`${raw.socket.localPort}`)).toBe(1);
  } finally {
    proto._writeGeneric = original;
  }
});
