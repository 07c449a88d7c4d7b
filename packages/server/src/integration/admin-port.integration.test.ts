// The admin port in process (docs/OPERATIONS.md#admin-port): with `admin`, /metrics is
// served on its own server and the public port answers it with 404 while keeping the
// probes; without it (the library's default), /metrics stays on the public port. The
// CLI's defaults and its exit on a taken admin port are in cli/main.integration.test.ts.
import { afterEach, describe, expect, it } from "vitest";
import { createSilentLogger } from "../ops/logger.js";
import { createPodRole } from "../roles/pod-role.js";
import { createPresenceServer } from "../roles/presence-server.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** The port of an http URL. */
const portOf = (url: string): number => Number(new URL(url).port);

/** Resolves true when nothing answers at `url` (connection refused). */
async function refused(url: string): Promise<boolean> {
  return fetch(url).then(
    () => false,
    () => true,
  );
}

describe("the admin port", () => {
  it("serves /metrics of a dev/serve process on its own port, 404 on the public one, probes stay public", async () => {
    const server = await createPresenceServer({
      auth: "dev",
      port: 0,
      admin: { port: 0, host: "127.0.0.1" },
      logger: createSilentLogger(),
    });
    closers.push(() => server.close());
    expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(portOf(server.metricsUrl)).not.toBe(server.port);
    const scraped = await fetch(server.metricsUrl);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toMatch(/^presence_connections 0$/m);
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

    await server.close();
    expect(await refused(server.metricsUrl)).toBe(true);
  });

  it("keeps /metrics on the public port without an admin port (the library's default)", async () => {
    const server = await createPresenceServer({ auth: "dev", port: 0, logger: createSilentLogger() });
    closers.push(() => server.close());
    expect(server.metricsUrl).toBe(`${server.url}/metrics`);
    expect((await fetch(server.metricsUrl)).status).toBe(200);
  });

  it("serves a split-mode pod's /metrics on its admin port, 404 on its health port", async () => {
    const pod = await createPodRole({
      port: 0,
      grpcPort: 0,
      admin: { port: 0 },
      defaultMetrics: false,
      logger: createSilentLogger(),
    });
    closers.push(() => pod.close());
    expect(portOf(pod.metricsUrl)).not.toBe(pod.port);
    expect(await (await fetch(pod.metricsUrl)).text()).toMatch(/^presence_rooms 0$/m);
    expect((await fetch(`${pod.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${pod.url}/readyz`)).status).toBe(200);
    await pod.close();
    expect(await refused(pod.metricsUrl)).toBe(true);
  });
});
