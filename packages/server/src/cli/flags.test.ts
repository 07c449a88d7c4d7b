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
});
