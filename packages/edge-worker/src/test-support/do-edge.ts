// A whole Workers topology on this machine for the conformance tests
// (docs/EDGE-WORKERS.md#testing-locally): a real redis-server on a free port, a
// JWKS, a real pod (the server's pod role, with the Redis bus and the worker
// link), the Worker bundled and run in workerd by miniflare, and optionally a
// Node edge over gRPC on the same pod, so rooms can span both kinds of edge.
// Everything started here is stopped by close(), also after a failed start.

import { rm } from "node:fs/promises";
import type { Readable } from "node:stream";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll } from "vitest";
import {
  startTokenAuthority,
  type TokenAuthority,
} from "../../../server/src/test-support/presence-processes.js";
import {
  freePort,
  type RedisServer,
  startRedisServer,
} from "../../../server/src/test-support/redis-harness.js";
import { type RoleProcess, startRole } from "../../../server/src/test-support/split-processes.js";
import {
  connectTestClient,
  type TestClient,
  type TestClientOptions,
} from "../../../server/src/test-support/test-client.js";
import { bundleWorker, WORKER_BUNDLE } from "../../scripts/bundle.mjs";

export const LINK_SECRET = "test-link-secret-0123456789abcdef";

export interface DoEdgeCluster {
  readonly redis: RedisServer;
  readonly auth: TokenAuthority;
  /** A real `collabblocks pod` process serving the Worker (and the Node edge); a new one after restartPod(). */
  readonly pod: RoleProcess;
  /** Every pod (`pods` option), the first being `pod`; the Worker's POD_URLS names them all. */
  readonly pods: readonly RoleProcess[];
  /** Stops the pod (SIGTERM) and starts it again on the same ports, as a rolling restart does. */
  restartPod(): Promise<void>;
  readonly mf: Miniflare;
  /** ws://host:port of the Worker, as the SDK takes it. */
  readonly workerWsUrl: string;
  /** http://host:port of the Worker. */
  readonly workerUrl: string;
  /** A real `collabblocks edge` process on the same pod (with `nodeEdge: true`). */
  readonly nodeEdge: RoleProcess | undefined;
  /** What the Worker logged (console.log in workerd), line by line. */
  readonly logs: string[];
  close(): Promise<void>;
}

export interface DoEdgeOptions {
  readonly nodeEdge?: boolean;
  /** Extra Worker vars (e.g. GATES). */
  readonly vars?: Record<string, string>;
  /** Pods on the same Redis (default 1); more than one are given to the Worker as POD_URLS. */
  readonly pods?: number;
  /**
   * METRICS logs every data point as a `{"metrics": …}` line in `logs` instead of
   * miniflare's local Analytics Engine, which drops them (Cloudflare's dataset cannot
   * run locally; this records what the object hands it).
   */
  readonly recordMetrics?: boolean;
}

/** A wrapped binding with the Analytics Engine dataset's one method, printing each point. */
const METRICS_RECORDER = `export default function () {
  return { writeDataPoint(point) { console.log(JSON.stringify({ metrics: point })); } };
}`;

export async function startDoEdge(options: DoEdgeOptions = {}): Promise<DoEdgeCluster> {
  const stops: (() => Promise<unknown>)[] = [];
  const close = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    stops.length = 0;
  };
  try {
    const redis = await startRedisServer();
    stops.push(() => redis.stop());
    const auth = await startTokenAuthority();
    stops.push(() => auth.close());
    const workerPort = await freePort();
    const workerUrl = `http://127.0.0.1:${workerPort}`;
    const grpcPort = await freePort();
    const podArgs = [
      ...["--grpc-port", String(grpcPort), "--redis", redis.url],
      ...["--worker-url", workerUrl, "--worker-link-secret", LINK_SECRET],
    ];
    let pod = await startRole("pod", `do-pod-${workerPort}`, podArgs);
    stops.push(() => pod.stop());
    const others: RoleProcess[] = [];
    for (let i = 1; i < (options.pods ?? 1); i++) {
      // Their own gRPC ports: the Node edge (if any) is on the first pod only.
      const args = [...podArgs, "--grpc-port", String(await freePort())];
      const other = await startRole("pod", `do-pod-${workerPort}-${i}`, args);
      others.push(other);
      stops.push(() => other.stop());
    }
    const podUrls =
      others.length > 0
        ? { POD_URLS: [pod.url, ...others.map((o) => o.url)].join(",") }
        : { POD_URL: pod.url };
    // Test files run side by side: each bundles to its own file (inside the package:
    // workerd refuses module paths that leave its starting directory).
    const bundlePath = WORKER_BUNDLE.replace(/\.js$/, `-${workerPort}.js`);
    stops.push(() => rm(bundlePath, { force: true }));
    const logs: string[] = [];
    const worker = {
      name: "presence",
      modules: true,
      scriptPath: await bundleWorker(bundlePath),
      compatibilityDate: "2025-09-01",
      compatibilityFlags: ["nodejs_compat"],
      durableObjects: { ROOMS: "PresenceRoom" },
      bindings: { JWKS_URL: auth.jwksUrl, ...podUrls, LINK_SECRET, ...options.vars },
    };
    const mf = new Miniflare({
      handleRuntimeStdio(stdout: Readable, stderr: Readable) {
        for (const stream of [stdout, stderr]) {
          stream.setEncoding("utf8");
          stream.on("data", (chunk: string) => logs.push(...chunk.split("\n").filter((l) => l.length > 0)));
        }
      },
      host: "127.0.0.1",
      port: workerPort,
      workers: options.recordMetrics
        ? [
            { ...worker, wrappedBindings: { METRICS: { scriptName: "metrics-recorder" } } },
            { name: "metrics-recorder", modules: true, script: METRICS_RECORDER },
          ]
        : // The room events' dataset (metrics.ts): miniflare's local Analytics Engine accepts and drops the points.
          [{ ...worker, analyticsEngineDatasets: { METRICS: { dataset: "presence_rooms" } } }],
    });
    stops.push(() => mf.dispose());
    await mf.ready;
    let nodeEdge: RoleProcess | undefined;
    if (options.nodeEdge) {
      const args = ["--jwks-url", auth.jwksUrl, "--pods", `127.0.0.1:${grpcPort}`];
      const edge = await startRole("edge", `node-edge-${workerPort}`, args);
      nodeEdge = edge;
      stops.push(() => edge.stop());
    }
    const podPort = new URL(pod.url).port;
    return {
      redis,
      auth,
      get pod() {
        return pod;
      },
      get pods() {
        return [pod, ...others];
      },
      async restartPod() {
        await pod.stop();
        // The last --port wins: the Worker's POD_URL names this one.
        pod = await startRole("pod", `do-pod-${workerPort}-again`, [...podArgs, "--port", podPort]);
      },
      mf,
      logs,
      workerUrl,
      workerWsUrl: `ws://127.0.0.1:${workerPort}`,
      nodeEdge,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

export interface DoEdgeSuite {
  readonly cluster: DoEdgeCluster;
  /** Connects `user` to `room` on the Worker (or on `url`) and waits for the join snapshot; closed after the suite. */
  join(
    room: string,
    user: string,
    extra?: Partial<TestClientOptions> & { readonly url?: string },
  ): Promise<TestClient>;
  /** Connects without waiting (refusals). */
  open(options: Omit<TestClientOptions, "url"> & { readonly url?: string }): TestClient;
}

/** Starts a cluster before the file's tests and stops it, and every client opened through it, after them. */
export function useDoEdge(options: DoEdgeOptions = {}): DoEdgeSuite {
  let cluster: DoEdgeCluster | undefined;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    cluster = await startDoEdge(options);
  });
  afterAll(async () => {
    for (const c of clients) c.terminate();
    await cluster?.close();
  });
  const open: DoEdgeSuite["open"] = (o) => {
    const client = connectTestClient({ ...o, url: o.url ?? suite.cluster.workerWsUrl });
    clients.push(client);
    return client;
  };
  const suite: DoEdgeSuite = {
    get cluster() {
      if (!cluster) throw new Error("the cluster is not started (use the suite inside tests)");
      return cluster;
    },
    open,
    async join(room, user, extra = {}) {
      const token = extra.token ?? (await suite.cluster.auth.sign({ sub: user, room, info: { name: user } }));
      const client = open({ room, token, ...extra });
      await client.ready.catch((err: Error) => {
        throw new Error(`${err.message}; errors: ${JSON.stringify(client.errors)}`);
      });
      return client;
    },
  };
  return suite;
}
