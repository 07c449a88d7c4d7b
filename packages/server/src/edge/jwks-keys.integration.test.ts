// JWKS outage (issue 20): a JWKS host that goes down, or hangs, after the edge
// fetched its keys must not refuse joins signed with those keys.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createTokenVerifier } from "./auth.js";
import { JWKS_CACHE_MAX_AGE_MS, JWKS_RETRY_AFTER_FAILURE_MS } from "./jwks-keys.js";

const servers: Server[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

async function jwksHost() {
  const { publicKey, privateKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
  let mode: "up" | "down" | "hang" = "up";
  let fetches = 0;
  const server = createServer((_req, res) => {
    fetches++;
    if (mode === "hang") return; // never answers
    if (mode === "down") {
      res.writeHead(503).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] }));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  const sign = (nowS: number, room: string) =>
    new SignJWT({ room, plan: "pro" })
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setSubject("alice")
      .setIssuedAt(nowS)
      .setExpirationTime(nowS + 600)
      .sign(privateKey);
  return { url, sign, set: (m: typeof mode) => (mode = m), fetches: () => fetches };
}

describe("JWKS outage", () => {
  it("keeps verifying with the last good keys when the host goes down or hangs past the cache age, and counts it", async () => {
    const host = await jwksHost();
    // jose's JWKS cache reads Date.now(): move the wall clock, keep real timers (the HTTP server needs them).
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now());
    const verifier = createTokenVerifier({ keys: { jwksUrl: host.url } });
    const nowS = () => Math.floor(Date.now() / 1000);
    expect(await verifier.verify(await host.sign(nowS(), "r"), "r")).toMatchObject({ ok: true });

    for (const mode of ["down", "hang"] as const) {
      host.set(mode);
      vi.setSystemTime(Date.now() + JWKS_CACHE_MAX_AGE_MS + JWKS_RETRY_AFTER_FAILURE_MS + 1000); // stale cache
      const before = host.fetches();
      const t0 = performance.now();
      expect(await verifier.verify(await host.sign(nowS(), "r"), "r")).toMatchObject({ ok: true });
      // Within the retry pause the host is not asked again, and nobody waits on it.
      const t1 = performance.now();
      for (let i = 0; i < 20; i++) {
        expect(await verifier.verify(await host.sign(nowS(), "r"), "r")).toMatchObject({ ok: true });
      }
      expect(host.fetches() - before).toBe(1);
      expect(performance.now() - t1).toBeLessThan(t1 - t0 + 1000);
    }
    expect(verifier.jwksStaleUses).toBeGreaterThanOrEqual(42);
  });

  it("still refuses tokens the last good keys do not verify", async () => {
    const host = await jwksHost();
    let now = Date.now();
    const verifier = createTokenVerifier({ keys: { jwksUrl: host.url }, now: () => now });
    expect(await verifier.verify(await host.sign(Math.floor(now / 1000), "r"), "r")).toMatchObject({
      ok: true,
    });
    host.set("down");
    now += JWKS_CACHE_MAX_AGE_MS + 1000;
    const forged = await new SignJWT({ room: "r", plan: "pro" })
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setSubject("alice")
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(now / 1000) + 600)
      .sign((await generateKeyPair("ES256")).privateKey);
    expect(await verifier.verify(forged, "r")).toMatchObject({ ok: false, code: "INVALID_TOKEN" });
  });
});
