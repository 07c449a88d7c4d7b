// The gRPC link in one process: real grpc-js servers and clients on loopback,
// pods from createPod, rooms shared between pods by a memory bus.

import type { BatchEntry, PeerState } from "@collabblocks/protocol";
import { MAX_SNAPSHOT_CHUNK_BYTES } from "@collabblocks/protocol";
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { waitUntil } from "../../../../test-support/wait-until.js";
import {
  createGrpcEdgeLink,
  createMemoryBus,
  createPod,
  createPodConnection,
  createPodRpcServer,
  type GrpcEdgeLink,
  type Pod,
  type PodFrame,
  type PodRpcServer,
} from "../index.js";
import { EDGE_ID_METADATA, type PodFrameMessage, presencePodService } from "./proto.js";
import { edgeFrameToMessage, encodePeers } from "./wire.js";

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function startPod(podId: string, bus?: ReturnType<ReturnType<typeof createMemoryBus>["connect"]>) {
  const pod: Pod = createPod({ podId, bus });
  const server: PodRpcServer = await createPodRpcServer({ endpoint: pod, host: "127.0.0.1", port: 0 });
  cleanup.push(
    () => pod.close(),
    () => server.close(),
  );
  return { pod, server, address: `127.0.0.1:${server.port}` };
}

function link(pods: string[], edgeId: string): GrpcEdgeLink {
  const l = createGrpcEdgeLink({ pods, edgeId });
  cleanup.push(() => l.close());
  return l;
}

const until = (predicate: () => boolean, what: string, timeoutMs = 10_000) =>
  waitUntil(what, predicate, timeoutMs, { intervalMs: 10 });

function enter(i: number): BatchEntry {
  return {
    kind: "enter",
    connectionId: `c${String(i).padStart(5, "0")}`,
    userId: `user-${i}`,
    info: { name: `User ${i}`, color: "#336699" },
    epoch: 1,
    clock: 0,
    state: {
      cursor: { x: (i % 1000) / 1000, y: 0.5 },
      status: "editing",
      avatar: `https://example.com/a/${i}.png`,
    },
  };
}

describe("gRPC edge↔pod link", () => {
  it("streams a 5 000-presence snapshot in many chunks of at most 64 KB that arrive whole", async () => {
    const { address } = await startPod("pod-a");
    const writer = link([address], "edge-writer");
    await until(() => writer.ready, "the writer's stream");
    writer.attach("big", { onEntries: () => {} });
    const entries = Array.from({ length: 5000 }, (_, i) => enter(i));
    writer.write("big", entries);

    // A raw connection, to see the chunks themselves.
    const chunks: PeerState[][] = [];
    let done: PodFrame | undefined;
    let up = false;
    const conn = createPodConnection({
      address,
      edgeId: "edge-reader",
      onStatus: (u) => {
        up = u;
      },
      onFrame: (f) => {
        if (f.type === "snapshot-chunk") chunks.push(f.entries as PeerState[]);
        if (f.type === "snapshot-done") done = f;
      },
    });
    cleanup.push(() => conn.close());
    await until(() => up, "the reader's stream");
    // The writer's entries are in once a sync through its own stream (ordered after them) answers.
    expect((await writer.syncRequest("big")).length).toBe(5000);
    conn.send({ type: "attach", roomId: "big" });
    conn.send({ type: "sync-request", roomId: "big", syncId: 1 });
    await until(() => done !== undefined, "snapshot-done");

    expect(done).toMatchObject({ type: "snapshot-done", syncId: 1, total: 5000 });
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) expect(encodePeers(c).length).toBeLessThanOrEqual(MAX_SNAPSHOT_CHUNK_BYTES);
    const got = chunks.flat().sort((a, b) => (a.connectionId < b.connectionId ? -1 : 1));
    expect(got).toEqual(entries.map(({ kind: _, ...p }) => p));
    console.log(`[rpc] 5 000 presences: ${chunks.length} chunks`);
  });

  it("delivers one edge's writes to another edge attached through the same pod", async () => {
    const { address } = await startPod("pod-a");
    const a = link([address], "edge-a");
    const b = link([address], "edge-b");
    const seen: BatchEntry[] = [];
    await until(() => a.ready && b.ready, "both streams");
    a.attach("r", { onEntries: () => {} });
    b.attach("r", { onEntries: (e) => seen.push(...e) });
    await b.syncRequest("r"); // b is attached once this answers
    a.write("r", [enter(1)]);
    await until(() => seen.length === 1, "the update at b");
    expect(seen[0]).toMatchObject({ kind: "enter", connectionId: "c00001" });
  });

  it("moves a room to the surviving pod when its pod goes away, resets it, and answers its syncs there", async () => {
    const hub = createMemoryBus();
    cleanup.push(() => hub.close());
    const p1 = await startPod("pod-1", hub.connect("pod-1"));
    const p2 = await startPod("pod-2", hub.connect("pod-2"));
    const edge = link([p1.address, p2.address], "edge");
    await until(() => edge.router.livePods().length === 2, "both pods");
    let resets = 0;
    edge.attach("room", { onEntries: () => {}, onReset: () => resets++ });
    edge.write("room", [enter(7)]);
    expect(await edge.syncRequest("room")).toHaveLength(1);
    const first = edge.router.podOf("room");
    const victim = first === p1.address ? p1 : p2;
    const survivor = victim === p1 ? p2 : p1;

    await victim.server.close();
    await until(() => edge.router.podOf("room") === survivor.address, "the move");
    expect(resets).toBe(1);
    // The survivor learnt the connection from the bus; the edge re-asserts through onReset in real use.
    expect((await edge.syncRequest("room")).map((p) => p.connectionId)).toEqual(["c00007"]);
    expect(edge.ready).toBe(true);
  });

  it("is not ready without a live pod, and becomes ready when one starts", async () => {
    const { server } = await startPod("probe");
    const port = server.port;
    await server.close();
    const edge = link([`127.0.0.1:${port}`], "edge");
    const pending = edge.syncRequest("room-x");
    edge.attach("room-x", { onEntries: () => {} });
    await new Promise((r) => setTimeout(r, 300));
    expect(edge.ready).toBe(false);
    const pod = createPod({ podId: "late" });
    const late = await createPodRpcServer({ endpoint: pod, host: "127.0.0.1", port });
    cleanup.push(
      () => pod.close(),
      () => late.close(),
    );
    await until(() => edge.ready, "readiness", 5000);
    expect(await pending).toEqual([]);
  });

  it("stops writing to an edge that does not read, queues within a bound, and ends its stream past it", async () => {
    const pod = createPod({ podId: "bp" });
    const server = await createPodRpcServer({
      endpoint: pod,
      host: "127.0.0.1",
      port: 0,
      maxQueuedBytes: 2 * 1024 * 1024,
    });
    cleanup.push(
      () => pod.close(),
      () => server.close(),
    );
    const writer = link([`127.0.0.1:${server.port}`], "writer");
    await until(() => writer.ready, "writer stream");
    writer.attach("big", { onEntries: () => {} });
    writer.write(
      "big",
      Array.from({ length: 5000 }, (_, i) => enter(i)),
    );
    expect(await writer.syncRequest("big")).toHaveLength(5000);

    // A raw client that asks for 60 snapshots of ~0.6 MB each and never reads.
    const Client = presencePodService();
    const client = new Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    cleanup.push(() => client.close());
    const metadata = new grpc.Metadata();
    metadata.set(EDGE_ID_METADATA, "sleepy");
    const call = client.OpenStream(metadata);
    call.on("data", (_m: PodFrameMessage) => {});
    call.pause();
    const status = new Promise<grpc.StatusObject>((resolve) => call.on("status", resolve));
    call.on("error", () => {});
    const ask = (from: number, to: number): void => {
      for (let i = from; i <= to; i++) {
        call.write(edgeFrameToMessage({ type: "sync-request", roomId: "big", syncId: i }));
      }
    };
    ask(1, 3); // ~1.8 MB: more than HTTP/2 and the sockets hold, less than the bound
    await until(() => server.backlog() > 0, "frames waiting behind write() = false");
    expect(server.streams).toBe(2);
    ask(4, 60);
    await until(() => server.streams === 1, "the sleepy stream ended");
    call.resume();
    expect((await status).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    // The well-behaved edge is unaffected.
    expect(await writer.syncRequest("big")).toHaveLength(5000);
  });
});
