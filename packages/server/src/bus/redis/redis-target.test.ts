import { describe, expect, it } from "vitest";
import { checkPodId, parseClusterNodes, parseRedisUrl } from "./redis-target.js";

describe("redis target", () => {
  it("accepts redis:// and rediss:// URLs and refuses anything else in one line", () => {
    expect(parseRedisUrl("redis://127.0.0.1:6380/0")).toEqual({
      kind: "single",
      url: "redis://127.0.0.1:6380/0",
    });
    expect(parseRedisUrl("rediss://user:pw@cache.example:6380")).toMatchObject({ kind: "single" });
    expect(() => parseRedisUrl("http://x")).toThrow("--redis must be a redis:// or rediss:// URL");
    expect(() => parseRedisUrl("localhost:6379")).toThrow(/redis:\/\//);
  });

  it("parses cluster seed nodes, IPv6 in brackets included", () => {
    expect(parseClusterNodes("10.0.0.1:7000, 10.0.0.2:7001,[::1]:7002")).toEqual({
      kind: "cluster",
      nodes: [
        { host: "10.0.0.1", port: 7000 },
        { host: "10.0.0.2", port: 7001 },
        { host: "::1", port: 7002 },
      ],
    });
  });

  it("names the bad seed node", () => {
    expect(() => parseClusterNodes("a:1,b")).toThrow('--redis-cluster: "b" is not host:port');
    expect(() => parseClusterNodes("a:99999")).toThrow(/is not host:port/);
    expect(() => parseClusterNodes(" , ")).toThrow("--redis-cluster needs at least one host:port");
  });
});

describe("pod id", () => {
  it("accepts host-like ids and refuses spaces, empties and the bus's reserved origins", () => {
    expect(checkPodId("web-1.eu:7")).toBe("web-1.eu:7");
    expect(() => checkPodId("a b")).toThrow(/--pod-id must match/);
    expect(() => checkPodId("")).toThrow(/--pod-id must match/);
    expect(() => checkPodId("sweeper")).toThrow('--pod-id "sweeper" is reserved');
  });
});
