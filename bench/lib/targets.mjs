// The measured systems: how to start each one for a run, and which client
// protocol the generator speaks to it. A target that cannot run a given shape
// (e.g. a single-process peer asked for 2 processes, or a server mode not built
// yet) throws NotAvailableError with the reason, and the report says so.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { NotAvailableError, startServer } from "./server-process.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(ROOT, "packages/server/dist/cli/main.js");
const PEERS = path.join(ROOT, "bench/peers");

export const TARGET_NAMES = ["ours", "ws-naive", "ws-tick", "socketio", "yws"];
/**
 * Targets run only when named in --targets: ours with end-to-end encrypted cursors, and
 * do-edge (the edge as a Durable Object in workerd on this machine).
 */
export const OPTIONAL_TARGETS = ["ours-e2ee", "do-edge"];
/** Targets run when --targets is not given. */
export const DEFAULT_TARGETS = TARGET_NAMES;
const DO_EDGE = path.join(ROOT, "packages/edge-worker/scripts/serve-local.mjs");

/** A free TCP port on 127.0.0.1 (for processes that cannot report the one they bound). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function startAll(specs) {
  const started = [];
  try {
    for (const spec of specs) started.push(await startServer(spec));
  } catch (err) {
    await Promise.all(started.map((s) => s.stop()));
    throw err;
  }
  return started;
}

function singleProcessPeer(name, script, extraArgs = []) {
  return {
    name,
    protocol: name,
    needsRedis: () => false,
    async start({ processes, cpus, tickMs, inspect = false }) {
      if (processes > 1)
        throw new NotAvailableError(`${name} has no cross-process fan-out (single process only)`);
      const args = [path.join(PEERS, script), "--port", "0", "--tick-ms", String(tickMs), ...extraArgs];
      const servers = await startAll([{ args, cpus, label: name, inspect }]);
      return { servers, measured: servers, tokenUrl: null };
    },
  };
}

const socketio = {
  name: "socketio",
  protocol: "socketio",
  needsRedis: ({ processes }) => processes > 1,
  async start({ processes, cpus, redisUrl, inspect = false }) {
    const args = [path.join(PEERS, "socketio-server.mjs"), "--port", "0"];
    if (processes > 1) args.push("--redis", redisUrl);
    const servers = await startAll(
      Array.from({ length: processes }, (_, i) => ({ args, cpus, label: `socketio#${i}`, inspect })),
    );
    return { servers, measured: servers, tokenUrl: null };
  },
};

/**
 * Ours. dev: one `collabblocks dev` process. redis: a `dev` process only issues
 * tokens (its JWKS is what the measured `serve --redis` processes trust; it is
 * idle while measuring and not counted), plus N `serve` processes. split: one
 * `pod` and N `edge` processes, all measured.
 */
const ours = {
  name: "ours",
  protocol: "ours",
  needsRedis: ({ mode }) => mode !== "dev",
  async start({ processes, cpus, mode, redisUrl, tickMs, generatorCpus, podCpus = cpus, inspect = false }) {
    if (!existsSync(CLI)) throw new NotAvailableError(`${path.relative(ROOT, CLI)} missing: npm run build`);
    // Per-connection info logs would be measured as server work the peers do not do.
    // The load generator is one address opening thousands of sockets for few users:
    // the production per-address and per-user caps (docs/SECURITY.md) would refuse it.
    const tick = [
      "--tick-ms",
      String(tickMs),
      "--log-level",
      "warn",
      "--max-conns-per-ip",
      "0",
      "--max-conns-per-user",
      "0",
    ];
    // Several serve/edge/pod processes on one machine: each takes a free admin port
    // instead of the default 9464 (docs/OPERATIONS.md#admin-port).
    const admin = ["--admin-port", "0"];
    if (mode === "dev") {
      if (processes > 1) throw new NotAvailableError("dev mode is one process: use --mode redis or split");
      const servers = await startAll([
        { args: [CLI, "dev", "--port", "0", ...tick], cpus, label: "ours dev", inspect },
      ]);
      return { servers, measured: servers, tokenUrl: servers[0].url };
    }
    const [issuer] = await startAll([
      { args: [CLI, "dev", "--port", "0"], cpus: generatorCpus, label: "ours token issuer" },
    ]);
    const jwks = new URL("/.well-known/jwks.json", issuer.url).href;
    try {
      let measured;
      if (mode === "redis") {
        measured = await startAll(
          Array.from({ length: processes }, (_, i) => ({
            args: [CLI, "serve", "--port", "0", "--jwks-url", jwks, "--redis", redisUrl, ...tick, ...admin],
            cpus,
            label: `ours serve#${i}`,
            inspect,
          })),
        );
        return { servers: measured, measured, tokenUrl: issuer.url, extra: [issuer] };
      }
      const grpcPort = await freePort();
      const pods = await startAll([
        {
          args: [CLI, "pod", "--port", "0", "--grpc-port", String(grpcPort), "--redis", redisUrl, ...admin],
          cpus: podCpus,
          label: "ours pod",
          inspect,
        },
      ]);
      const edges = await startAll(
        Array.from({ length: processes }, (_, i) => ({
          args: [
            CLI,
            "edge",
            "--port",
            "0",
            "--jwks-url",
            jwks,
            "--pods",
            `127.0.0.1:${grpcPort}`,
            ...tick,
            ...admin,
          ],
          cpus,
          label: `ours edge#${i}`,
          inspect,
        })),
      ).catch(async (err) => {
        await Promise.all(pods.map((p) => p.stop()));
        throw err;
      });
      return {
        servers: edges,
        measured: [...edges, ...pods],
        pods,
        podAddress: `127.0.0.1:${grpcPort}`,
        tokenUrl: issuer.url,
        extra: [issuer],
      };
    } catch (err) {
      await issuer.stop();
      throw err;
    }
  },
};

/** Pids whose parent is `pid` (workerd under the miniflare launcher), so their CPU and memory are measured. */
function childPids(pid) {
  const out = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "latin1");
      // Fields after the command's closing parenthesis: state, ppid, …
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // The process ended while we looked: it is nobody's child any more.
    }
  }
  return out;
}

/**
 * Ours, with the edge as a Durable Object per room in workerd (miniflare, on this
 * machine: its latency is workerd's here, not Cloudflare's network; docs/EDGE-WORKERS.md).
 * One token issuer (not measured), one pod with the worker link, one miniflare process.
 */
const doEdge = {
  name: "do-edge",
  protocol: "ours",
  needsRedis: () => true,
  async start({ processes, cpus, redisUrl, generatorCpus }) {
    if (!existsSync(CLI)) throw new NotAvailableError(`${path.relative(ROOT, CLI)} missing: npm run build`);
    if (processes > 1) throw new NotAvailableError("do-edge runs one workerd (one object per room)");
    const secret = `bench-link-secret-${process.pid}-0123456789abcdef`;
    const [issuer] = await startAll([
      { args: [CLI, "dev", "--port", "0"], cpus: generatorCpus, label: "do-edge token issuer" },
    ]);
    const stopAll = (list) => Promise.all(list.map((p) => p.stop()));
    const started = [issuer];
    try {
      const workerPort = await freePort();
      const link = ["--worker-url", `http://127.0.0.1:${workerPort}`];
      const [pod] = await startAll([
        {
          args: [
            CLI,
            "pod",
            "--port",
            "0",
            "--grpc-port",
            "0",
            "--admin-port",
            "0",
            "--redis",
            redisUrl,
            ...link,
          ],
          env: { COLLABBLOCKS_WORKER_LINK_SECRET: secret, COLLABBLOCKS_LOG_LEVEL: "warn" },
          cpus,
          label: "do-edge pod",
        },
      ]);
      started.push(pod);
      const jwks = new URL("/.well-known/jwks.json", issuer.url).href;
      const [worker] = await startAll([
        {
          args: [DO_EDGE, "--port", String(workerPort), "--jwks-url", jwks, "--pod-url", pod.url],
          env: { LINK_SECRET: secret },
          cpus,
          label: "do-edge workerd",
        },
      ]);
      // workerd runs under the launcher and stops with it: measured, never stopped on its own.
      const workerd = childPids(worker.pid).map((pid) => ({ pid, stop: async () => {} }));
      return {
        servers: [worker],
        measured: [worker, ...workerd, pod],
        tokenUrl: issuer.url,
        extra: [issuer, pod],
      };
    } catch (err) {
      await stopAll(started);
      throw err;
    }
  },
};

/**
 * The write-loop floor of the slice scenario: never named in --targets, run by the
 * coordinator after a slice run with that run's frame size and per-socket rate (`floor`).
 */
const wsFloor = {
  name: "ws-floor",
  protocol: "ws-floor",
  needsRedis: () => false,
  async start({ cpus, floor, inspect = false }) {
    const args = [
      path.join(PEERS, "ws-floor-server.mjs"),
      "--port",
      "0",
      "--frame-bytes",
      String(Math.round(floor.frameBytes)),
      "--hz",
      String(floor.perSocketHz),
    ];
    const servers = await startAll([{ args, cpus, label: "ws-floor", inspect }]);
    return { servers, measured: servers, tokenUrl: null };
  },
};

export const TARGETS = {
  "ws-floor": wsFloor,
  ours,
  "ours-e2ee": { ...ours, name: "ours-e2ee", protocol: "ours-e2ee" },
  "do-edge": doEdge,
  "ws-naive": singleProcessPeer("ws-naive", "ws-naive-server.mjs"),
  "ws-tick": singleProcessPeer("ws-tick", "ws-tick-server.mjs"),
  socketio,
  yws: singleProcessPeer("yws", "yws-server.mjs"),
};
