import { describe, expect, it } from "vitest";
import { envName, parseCli } from "./flags.js";

describe("parseCli", () => {
  it("applies the dev defaults", () => {
    const r = parseCli(["dev"], {});
    expect(r).toMatchObject({
      kind: "run",
      config: { command: "dev", port: 8787, host: "127.0.0.1", tickMs: 16, maxRooms: 1000, maxConnsPerIp: 0 },
    });
  });

  it("binds all interfaces for serve and requires a JWKS URL", () => {
    expect(parseCli(["serve"], {})).toEqual({
      kind: "error",
      message: "serve needs --jwks-url (or COLLABBLOCKS_JWKS_URL)",
    });
    const r = parseCli(["serve", "--jwks-url", "https://auth.example/jwks.json"], {});
    expect(r).toMatchObject({
      kind: "run",
      config: { host: "0.0.0.0", jwksUrl: "https://auth.example/jwks.json" },
    });
  });

  it("reads every flag from COLLABBLOCKS_ variables, the command line winning", () => {
    expect(envName("max-conns-per-ip")).toBe("COLLABBLOCKS_MAX_CONNS_PER_IP");
    const r = parseCli(["dev", "--port=0"], { COLLABBLOCKS_PORT: "9000", COLLABBLOCKS_TICK_MS: "8" });
    expect(r).toMatchObject({ kind: "run", config: { port: 0, tickMs: 8 } });
  });

  it("explains bad values in one line", () => {
    expect(parseCli(["dev", "--port", "70000"], {})).toEqual({
      kind: "error",
      message: "--port must be ≤ 65535",
    });
    expect(parseCli(["dev", "--tick-ms", "x"], {})).toEqual({
      kind: "error",
      message: "--tick-ms must be an integer",
    });
    expect(parseCli(["dev"], { COLLABBLOCKS_MAX_ROOMS: "0" })).toEqual({
      kind: "error",
      message: "COLLABBLOCKS_MAX_ROOMS must be ≥ 1",
    });
    expect(parseCli(["dev", "--nope"], {})).toMatchObject({
      kind: "error",
      message: "unknown flag --nope (see --help)",
    });
    expect(parseCli(["launch"], {})).toMatchObject({ kind: "error" });
    expect(parseCli(["dev", "--port"], {})).toMatchObject({ kind: "error", message: "--port needs a value" });
    expect(parseCli(["dev", "--log-level", "loud"], {})).toMatchObject({ kind: "error" });
    expect(parseCli(["serve", "--jwks-url", "ftp://x"], {})).toMatchObject({ kind: "error" });
  });

  it("shows help for --help and for no command", () => {
    expect(parseCli(["--help"], {})).toEqual({ kind: "help" });
    expect(parseCli([], {})).toEqual({ kind: "help" });
    expect(parseCli(["dev", "-h"], {})).toEqual({ kind: "help" });
  });

  it("takes a Redis URL or cluster seeds and a pod id for scaled mode, one line per mistake", () => {
    const jwks = ["--jwks-url", "https://auth.example/jwks.json"];
    expect(
      parseCli(["serve", ...jwks, "--redis", "redis://10.0.0.5:6379", "--pod-id", "web-1"], {}),
    ).toMatchObject({
      kind: "run",
      config: { redis: { kind: "single", url: "redis://10.0.0.5:6379" }, podId: "web-1" },
    });
    expect(parseCli(["serve", ...jwks], { COLLABBLOCKS_REDIS_CLUSTER: "a:7000,b:7001" })).toMatchObject({
      kind: "run",
      config: {
        redis: {
          kind: "cluster",
          nodes: [
            { host: "a", port: 7000 },
            { host: "b", port: 7001 },
          ],
        },
      },
    });
    expect(parseCli(["serve", ...jwks], {})).toMatchObject({
      config: { redis: undefined, podId: undefined },
    });
    expect(parseCli(["serve", ...jwks, "--redis", "redis://a", "--redis-cluster", "a:1"], {})).toEqual({
      kind: "error",
      message: "give --redis or --redis-cluster, not both",
    });
    expect(parseCli(["serve", ...jwks, "--redis", "http://a"], {})).toMatchObject({ kind: "error" });
    expect(parseCli(["serve", ...jwks, "--pod-id", "sweeper"], {})).toMatchObject({ kind: "error" });
  });

  it("parses the split-mode commands: pod with --grpc-port, edge with --jwks-url and --pods", () => {
    expect(parseCli(["pod", "--grpc-port", "0", "--redis", "redis://r:6379"], {})).toMatchObject({
      kind: "run",
      config: { command: "pod", grpcPort: 0, host: "0.0.0.0", redis: { kind: "single" } },
    });
    expect(parseCli(["pod"], {})).toMatchObject({ kind: "run", config: { grpcPort: 8788 } });
    const jwks = ["--jwks-url", "https://auth.example/jwks.json"];
    expect(parseCli(["edge", ...jwks, "--pods", "10.0.0.1:8788, pod-2.internal:8788"], {})).toMatchObject({
      kind: "run",
      config: { command: "edge", pods: ["10.0.0.1:8788", "pod-2.internal:8788"] },
    });
    expect(parseCli(["edge", ...jwks], { COLLABBLOCKS_PODS: "[::1]:9000" })).toMatchObject({
      config: { pods: ["[::1]:9000"] },
    });
    expect(parseCli(["edge", "--pods", "a:1"], {})).toEqual({
      kind: "error",
      message: "edge needs --jwks-url (or COLLABBLOCKS_JWKS_URL)",
    });
    expect(parseCli(["edge", ...jwks], {})).toMatchObject({ kind: "error", message: /edge needs --pods/ });
    expect(parseCli(["edge", ...jwks, "--pods", "a"], {})).toMatchObject({
      kind: "error",
      message: /"a" is not host:port/,
    });
    expect(parseCli(["edge", ...jwks, "--pods", "a:1,a:1"], {})).toMatchObject({ kind: "error" });
    expect(parseCli(["edge", ...jwks, "--pods", "a:1", "--redis", "redis://r"], {})).toMatchObject({
      kind: "error",
      message: /edge does not use Redis/,
    });
    expect(parseCli(["pod", "--grpc-port", "70000"], {})).toMatchObject({ kind: "error" });
  });

  it("keeps dev on loopback and out of production unless told otherwise", () => {
    expect(parseCli(["dev", "--host", "0.0.0.0"], {})).toMatchObject({
      kind: "error",
      message: expect.stringContaining("--insecure-dev-public"),
    });
    expect(parseCli(["dev"], { NODE_ENV: "production" })).toMatchObject({
      kind: "error",
      message: expect.stringContaining("NODE_ENV=production"),
    });
    expect(parseCli(["dev", "--host", "0.0.0.0", "--insecure-dev-public"], {})).toMatchObject({
      kind: "run",
      config: { host: "0.0.0.0", insecureDevPublic: true },
    });
    expect(parseCli(["dev", "--host", "::1"], {})).toMatchObject({ kind: "run" });
    expect(
      parseCli(["serve", "--jwks-url", "https://a.example/j", "--insecure-dev-public"], {}),
    ).toMatchObject({
      kind: "error",
      message: "--insecure-dev-public applies to dev only",
    });
  });

  it("takes exact origins for --dev-allow-origin and refuses anything else", () => {
    expect(
      parseCli(["dev", "--dev-allow-origin", "https://app.example,http://localhost:5173"], {}),
    ).toMatchObject({
      kind: "run",
      config: { devAllowOrigins: ["https://app.example", "http://localhost:5173"] },
    });
    expect(parseCli(["dev", "--dev-allow-origin", "https://app.example/path"], {})).toMatchObject({
      kind: "error",
    });
    expect(parseCli(["dev", "--dev-allow-origin", "*"], {})).toMatchObject({ kind: "error" });
  });

  it("puts /metrics on an admin port on 127.0.0.1:9464 for serve, pod and edge, and on --port for dev", () => {
    const jwks = ["--jwks-url", "https://auth.example/jwks.json"];
    const admin = { adminPort: 9464, adminHost: "127.0.0.1" };
    expect(parseCli(["serve", ...jwks], {})).toMatchObject({ kind: "run", config: admin });
    expect(parseCli(["pod"], {})).toMatchObject({ kind: "run", config: admin });
    expect(parseCli(["edge", ...jwks, "--pods", "a:1"], {})).toMatchObject({ kind: "run", config: admin });
    expect(parseCli(["dev"], {})).toMatchObject({ kind: "run", config: { adminPort: "public" } });
    expect(parseCli(["dev", "--admin-port", "9100", "--admin-host", "10.0.0.7"], {})).toMatchObject({
      kind: "run",
      config: { adminPort: 9100, adminHost: "10.0.0.7" },
    });
    expect(parseCli(["serve", ...jwks, "--admin-port=public"], {})).toMatchObject({
      config: { adminPort: "public" },
    });
    expect(parseCli(["serve", ...jwks], { COLLABBLOCKS_ADMIN_PORT: "0" })).toMatchObject({
      config: { adminPort: 0 },
    });
    // 0 = a free port, so --port 0 --admin-port 0 do not clash.
    expect(parseCli(["pod", "--port", "0", "--admin-port", "0", "--grpc-port", "0"], {})).toMatchObject({
      kind: "run",
    });
  });

  it("refuses an admin port that is not a port, clashes with another port, or an --admin-host without one", () => {
    const jwks = ["--jwks-url", "https://auth.example/jwks.json"];
    const notPort = '--admin-port must be a port 0–65535 or "public" (metrics on --port)';
    for (const bad of ["x", "70000", "-1", "9464.5", "Public"]) {
      expect(parseCli(["serve", ...jwks, "--admin-port", bad], {})).toEqual({
        kind: "error",
        message: notPort,
      });
    }
    expect(parseCli(["serve", ...jwks], { COLLABBLOCKS_ADMIN_PORT: "metrics" })).toEqual({
      kind: "error",
      message: notPort.replace("--admin-port", "COLLABBLOCKS_ADMIN_PORT"),
    });
    expect(parseCli(["serve", ...jwks, "--port", "9464"], {})).toEqual({
      kind: "error",
      message:
        "--admin-port 9464 is also --port: give another port, or --admin-port public for /metrics on --port",
    });
    expect(parseCli(["pod", "--grpc-port", "9100", "--admin-port", "9100"], {})).toEqual({
      kind: "error",
      message: "--admin-port 9100 is also --grpc-port: give another port",
    });
    expect(parseCli(["dev", "--admin-host", "0.0.0.0"], {})).toEqual({
      kind: "error",
      message: "--admin-host needs --admin-port N (with public, /metrics is on --port)",
    });
    expect(
      parseCli(["edge", ...jwks, "--pods", "a:1", "--admin-port", "public", "--admin-host", "::"], {}),
    ).toMatchObject({ kind: "error", message: /--admin-host needs --admin-port N/ });
  });

  it("takes the Workers link on a pod only, URL and secret together (docs/EDGE-WORKERS.md#the-pod-link)", () => {
    const secret = "s".repeat(32);
    const pod = (args: string[], env: Record<string, string> = {}) =>
      parseCli(["pod", "--redis", "redis://127.0.0.1:6399", ...args], env);
    expect(
      pod(["--worker-url", "https://presence.example.workers.dev"], {
        COLLABBLOCKS_WORKER_LINK_SECRET: secret,
      }),
    ).toMatchObject({
      kind: "run",
      config: { workerLink: { workerUrl: "https://presence.example.workers.dev", secret } },
    });
    expect(pod([])).toMatchObject({ kind: "run", config: { workerLink: undefined } });
    expect(pod(["--worker-url", "https://w.example"])).toMatchObject({ kind: "error", message: /together/ });
    expect(pod(["--worker-url", "ftp://w", "--worker-link-secret", secret])).toMatchObject({ kind: "error" });
    expect(pod(["--worker-url", "https://w.example", "--worker-link-secret", "short"])).toMatchObject({
      kind: "error",
      message: /at least 32/,
    });
    expect(parseCli(["dev", "--worker-url", "https://w.example"], {})).toMatchObject({
      kind: "error",
      message: /collabblocks pod/,
    });
  });
});
