// Throwaway Redis servers for integration and chaos tests: a single server, a
// 3-master + 3-replica cluster, and a TCP proxy a test can black-hole to cut one
// process off from Redis. Every server runs without persistence (--save "",
// --appendonly no) in its own temp dir, on a free port, and is killed by stop().
// Tests never touch the shared Redis on 6379.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** How long a server may take to print "Ready to accept connections", ms. */
const START_TIMEOUT_MS = 10_000;
/** Cluster bus port = port + 10 000, so data ports must stay below 55 535. */
const CLUSTER_PORT_MIN = 20_000;
const CLUSTER_PORT_MAX = 45_000;

/**
 * Where freePort picks: below the kernel's ephemeral range (32 768–60 999 on Linux by
 * default) and below the cluster ports. A port the kernel handed out as free (listen on
 * 0) is an ephemeral one, and an outgoing connection of a test running alongside could
 * take it before the server meant for it listened (a miniflare Worker's port in CI,
 * ERR_ADDRESS_IN_USE); the kernel never gives out ports from this range on its own.
 */
const FREE_PORT_MIN = 10_000;
const FREE_PORT_MAX = 19_999;

/** A port that is free right now (bound then released), from FREE_PORT_MIN–FREE_PORT_MAX. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = FREE_PORT_MIN + Math.floor(Math.random() * (FREE_PORT_MAX - FREE_PORT_MIN + 1));
    if (await portIsFree(port)) return port;
  }
  throw new Error(`no free port between ${FREE_PORT_MIN} and ${FREE_PORT_MAX}`);
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** A free port p < 55 535 whose cluster bus port p + 10 000 is free too. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = CLUSTER_PORT_MIN + Math.floor(Math.random() * (CLUSTER_PORT_MAX - CLUSTER_PORT_MIN));
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await portIsFree(port)) && (await portIsFree(port + 10_000))) return port;
  }
  throw new Error("no free cluster port pair found");
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly pid: number | undefined;
  /** SIGKILL and wait for exit (data is gone: there is no persistence). */
  kill9(): Promise<void>;
  /** Starts the server again on the same port (after kill9 or stop). */
  restart(): Promise<void>;
  /** Runs redis-cli against this server; returns trimmed stdout. */
  cli(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  readonly port?: number;
  /** Extra redis-server arguments, e.g. ["--cluster-enabled", "yes"]. */
  readonly args?: readonly string[];
}

async function waitReady(child: ChildProcess, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      reject(new Error(`redis-server on ${port} not ready in ${START_TIMEOUT_MS} ms:\n${out}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      if (out.includes("Ready to accept connections")) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server on ${port} exited with ${code}:\n${out}`));
    });
  });
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), `cb-redis-${port}-`));
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const proc = spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
        "--daemonize",
        "no",
        ...(options.args ?? []),
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    child = proc;
    await waitReady(proc, port);
  };

  const kill = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once("exit", () => resolve());
      proc.kill(signal);
    });
  };

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid;
    },
    kill9: () => kill("SIGKILL"),
    restart: launch,
    async cli(...args) {
      const { stdout } = await execFileAsync("redis-cli", ["-p", String(port), ...args]);
      return stdout.trim();
    },
    async stop() {
      await kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisCluster {
  /** All six nodes; masters first as created (the first three), replicas after. */
  readonly nodes: readonly RedisServer[];
  /** `host:port,…` of every node, for `--redis-cluster`. */
  readonly seeds: string;
  /** The node currently serving `key`'s slot as master. */
  masterFor(key: string): Promise<RedisServer>;
  /** Waits until every slot is served by a reachable master (after a failover). */
  waitHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Failure detection of the test cluster, ms: short, so a failover takes ~2–3 s. */
const CLUSTER_NODE_TIMEOUT_MS = 1000;

/** Starts 3 masters + 3 replicas (`redis-cli --cluster create … --cluster-replicas 1`). */
export async function startRedisCluster(): Promise<RedisCluster> {
  const taken = new Set<number>();
  const ports: number[] = [];
  for (let i = 0; i < 6; i++) {
    const port = await freeClusterPort(taken);
    taken.add(port);
    taken.add(port + 10_000);
    ports.push(port);
  }
  const nodes = await Promise.all(
    ports.map((port) =>
      startRedisServer({
        port,
        args: [
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          `nodes-${port}.conf`,
          "--cluster-node-timeout",
          String(CLUSTER_NODE_TIMEOUT_MS),
          // Let a replica take over however stale its link looked (tests kill masters abruptly).
          "--cluster-replica-validity-factor",
          "0",
        ],
      }),
    ),
  );
  const cluster: RedisCluster = {
    nodes,
    seeds: ports.map((p) => `127.0.0.1:${p}`).join(","),
    async masterFor(key) {
      for (const node of nodes) {
        if (node.pid === undefined) continue;
        const role = await node.cli("ROLE").catch(() => "");
        if (!role.startsWith("master")) continue;
        const slot = await node.cli("CLUSTER", "KEYSLOT", key);
        const slots = await node.cli("CLUSTER", "SLOTS");
        if (slotServedBy(slots, Number(slot), node.port)) return node;
      }
      throw new Error(`no live master serves ${key}`);
    },
    async waitHealthy(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const live = nodes.filter((n) => n.pid !== undefined);
        const infos = await Promise.all(live.map((n) => n.cli("CLUSTER", "INFO").catch(() => "")));
        if (infos.every((info) => info.includes("cluster_state:ok"))) return;
        if (Date.now() > deadline) throw new Error(`cluster not healthy in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
  await execFileAsync("redis-cli", [
    "--cluster",
    "create",
    ...ports.map((p) => `127.0.0.1:${p}`),
    "--cluster-replicas",
    "1",
    "--cluster-yes",
  ]);
  await cluster.waitHealthy();
  return cluster;
}

/**
 * True when redis-cli's CLUSTER SLOTS output (one value per line) lists `slot`
 * in a range whose master is on `port`. Each range prints start, end, then the
 * master's ip, port, id, (hostname), then the replicas.
 */
function slotServedBy(output: string, slot: number, port: number): boolean {
  const lines = output.split("\n").map((l) => l.trim());
  for (let i = 0; i + 3 < lines.length; i++) {
    const start = Number(lines[i]);
    const end = Number(lines[i + 1]);
    if (!Number.isInteger(start) || !Number.isInteger(end) || lines[i + 2] !== "127.0.0.1") continue;
    if (slot >= start && slot <= end && Number(lines[i + 3]) === port) return true;
  }
  return false;
}

export interface TcpProxy {
  readonly port: number;
  /**
   * Cuts the link: every open connection stops moving bytes in both directions
   * (they stay buffered, like packets a partition holds up), and new connections
   * are accepted but not forwarded until heal().
   */
  blackhole(): void;
  /** Restores the link; held bytes flow again. */
  heal(): void;
  /** Destroys every proxied connection (a reset), without changing the black-hole state. */
  resetAll(): void;
  close(): Promise<void>;
}

/** A TCP proxy 127.0.0.1:<free port> → 127.0.0.1:targetPort. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket | undefined }>();
  let holed = false;
  const waiting: Array<() => void> = [];

  const server = net.createServer((client) => {
    const pair: { client: net.Socket; upstream: net.Socket | undefined } = { client, upstream: undefined };
    pairs.add(pair);
    client.pause();
    const drop = (): void => {
      pairs.delete(pair);
      client.destroy();
      pair.upstream?.destroy();
    };
    client.on("error", drop);
    client.on("close", drop);
    const connect = (): void => {
      if (client.destroyed) return;
      const upstream = net.connect(targetPort, "127.0.0.1");
      pair.upstream = upstream;
      upstream.on("error", drop);
      upstream.on("close", drop);
      // Manual forwarding (not pipe()): pause() must really stop the flow.
      client.on("data", (chunk) => upstream.write(chunk));
      upstream.on("data", (chunk) => client.write(chunk));
      if (holed) upstream.pause();
      else client.resume();
    };
    if (holed) waiting.push(connect);
    else connect();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;

  const resetAll = (): void => {
    for (const { client, upstream } of pairs) {
      client.destroy();
      upstream?.destroy();
    }
    pairs.clear();
  };
  return {
    port,
    blackhole() {
      holed = true;
      for (const { client, upstream } of pairs) {
        client.pause();
        upstream?.pause();
      }
    },
    heal() {
      holed = false;
      for (const { client, upstream } of pairs) {
        client.resume();
        upstream?.resume();
      }
      for (const connect of waiting.splice(0)) connect();
    },
    resetAll,
    async close() {
      resetAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
