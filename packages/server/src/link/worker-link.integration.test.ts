// The pod's dial endpoint for Workers edges (docs/EDGE-WORKERS.md#the-pod-link)
// over real sockets: a pod role with the worker link, and a `ws` server in the
// place of the Worker, which speaks the object's side of the link frames.
import type { IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type WebSocket, WebSocketServer } from "ws";
import { createPodRole, type PodRole } from "../roles/pod-role.js";
import type { PodFrame } from "./frames.js";
import { DIAL_PATH_PREFIX, decodePodFrame, encodeEdgeFrame } from "./ws-frames.js";

const SECRET = "worker-link-test-secret-0123456789";
let worker: WebSocketServer;
let pod: PodRole;
const arrivals: { ws: WebSocket; req: IncomingMessage; frames: PodFrame[] }[] = [];

beforeAll(async () => {
  worker = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise((r) => worker.once("listening", r));
  worker.on("connection", (ws, req) => {
    const arrival = { ws, req, frames: [] as PodFrame[] };
    ws.on("message", (data: Buffer) => arrival.frames.push(decodePodFrame(data)));
    arrivals.push(arrival);
  });
  const { port } = worker.address() as { port: number };
  pod = await createPodRole({
    grpcPort: 0,
    workerLink: { workerUrl: `http://127.0.0.1:${port}`, secret: SECRET },
  });
});
afterAll(async () => {
  await pod?.close();
  for (const a of arrivals) a.ws.terminate();
  await new Promise((r) => worker?.close(r));
});

const dial = (room: string, init: RequestInit = {}) =>
  fetch(`${pod.url}${DIAL_PATH_PREFIX}${room}`, {
    method: "POST",
    headers: { authorization: `Bearer ${SECRET}` },
    ...init,
  });

async function until(check: () => boolean, what: string): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > 5000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("the pod's worker link", () => {
  it("refuses a wrong secret, a bad room and other methods, and dials nobody for them", async () => {
    expect((await dial("r", { headers: { authorization: "Bearer nope" } })).status).toBe(401);
    expect((await dial("r", { headers: {} })).status).toBe(401);
    expect((await dial("bad%20room")).status).toBe(400);
    expect((await dial("r", { method: "GET" })).status).toBe(405);
    expect(arrivals).toHaveLength(0);
  });

  it("connects to the Worker's link path with the secret and serves the room as a pod session", async () => {
    expect((await dial("room-a")).status).toBe(202);
    await until(() => arrivals.length === 1, "the pod's socket");
    const { ws, req, frames } = arrivals[0]!;
    expect(req.url).toBe("/v1/link/room-a");
    expect(req.headers.authorization).toBe(`Bearer ${SECRET}`);
    const enter = {
      kind: "enter",
      connectionId: "conn-a-0123456789",
      userId: "ann",
      info: undefined,
      epoch: 1,
      clock: 1,
      state: { status: "here" },
    } as const;
    ws.send(encodeEdgeFrame({ type: "attach", roomId: "room-a" }));
    ws.send(encodeEdgeFrame({ type: "write", roomId: "room-a", entries: [enter] }));
    ws.send(encodeEdgeFrame({ type: "sync-request", roomId: "room-a", syncId: 9 }));
    await until(() => frames.some((f) => f.type === "snapshot-done"), "the snapshot");
    expect(frames).toEqual([
      {
        type: "snapshot-chunk",
        roomId: "room-a",
        syncId: 9,
        entries: [
          {
            connectionId: enter.connectionId,
            userId: "ann",
            info: undefined,
            epoch: 1,
            clock: 1,
            state: enter.state,
          },
        ],
      },
      { type: "snapshot-done", roomId: "room-a", syncId: 9, total: 1 },
    ]);
    // A frame for another room on this socket is dropped, not applied.
    ws.send(
      encodeEdgeFrame({
        type: "write",
        roomId: "room-b",
        entries: [{ ...enter, connectionId: "conn-b-0123456789" }],
      }),
    );
    ws.send(encodeEdgeFrame({ type: "sync-request", roomId: "room-a", syncId: 10 }));
    await until(() => frames.filter((f) => f.type === "snapshot-done").length === 2, "the second snapshot");
    expect(pod.pod.manager.peek("room-b")?.replica.size ?? 0).toBe(0);
  });
});
