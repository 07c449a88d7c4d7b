import { createPresenceServer, createSilentLogger, type PresenceServer } from "@collabblocks/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PRESENCE_METRICS } from "./metrics.js";

// Scrapes a real server's /metrics: the metric names, types and labels that the
// dashboard, the alert rules and docs/OPERATIONS.md rely on must be what is
// actually exposed, not only what the source seems to register.
describe("a running server's /metrics", () => {
  let server: PresenceServer;
  let exposition: string;

  beforeAll(async () => {
    server = await createPresenceServer({ auth: "dev", port: 0, logger: createSilentLogger() });
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    exposition = await response.text();
  });

  afterAll(async () => {
    await server?.close();
  });

  const declared = () =>
    new Map([...exposition.matchAll(/^# TYPE (presence_\w+) (\w+)$/gm)].map((m) => [m[1]!, m[2]!] as const));

  it("exposes every contract metric with the type deploy/metrics.ts gives it", () => {
    const types = declared();
    for (const { name, type } of PRESENCE_METRICS) expect(types.get(name), name).toBe(type);
  });

  it("exposes no presence_* metric that deploy/metrics.ts (and so OPERATIONS.md) lacks", () => {
    const known = new Set(PRESENCE_METRICS.map((m) => m.name));
    expect([...declared().keys()].filter((name) => !known.has(name))).toEqual([]);
  });

  it("labels refusals by code, and the rtt histogram has a 40 ms bucket", () => {
    expect(exposition).toMatch(/^presence_refusals_total\{code="ROOM_FULL"\} 0$/m);
    expect(exposition).toMatch(/^presence_rtt_ms_bucket\{le="40"\} 0$/m);
  });

  it("uses no label other than the contract ones on presence_* series", () => {
    for (const [, name, labels] of exposition.matchAll(/^(presence_\w+)\{([^}]*)\}/gm)) {
      const keys = labels!.split(",").map((pair) => pair.split("=")[0]);
      const allowed = name!.startsWith("presence_rtt_ms_bucket")
        ? ["le"]
        : (PRESENCE_METRICS.find((m) => m.name === name)?.labels ?? []);
      for (const key of keys) expect(allowed, `${name}{${key}}`).toContain(key);
    }
  });
});
