// Every token refusal at the upgrade gets the upgrade, an ERROR with its code,
// then a close with the code's close code (docs/ARCHITECTURE.md#the-edge, PROTOCOL.md §7); tokens renew in-band.
import { MessageType } from "@collabblocks/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestKey,
  hs256Token,
  type JwksServer,
  signToken,
  standardClaims,
  startJwksServer,
  type TestKey,
  unsecuredToken,
} from "../../../../test-support/jwks-server.js";
import { createPresenceServer, type PresenceServer } from "../index.js";
import { connectTestClient, type TestClient } from "../test-support/test-client.js";

let key: TestKey;
let jwks: JwksServer;
let server: PresenceServer;
const clients: TestClient[] = [];
const nowS = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  key = await createTestKey("k1");
  jwks = await startJwksServer([key]);
  server = await createPresenceServer({ auth: { jwksUrl: jwks.url }, port: 0 });
});
afterAll(async () => {
  for (const c of clients) c.terminate();
  await server.close();
  await jwks.close();
});

function connect(token: string, room = "room-1", extra: { cid?: string } = {}) {
  const c = connectTestClient({ url: server.wsUrl, room, token, ...extra });
  clients.push(c);
  return c;
}

async function refusal(token: string, room = "room-1") {
  const c = connect(token, room);
  const closed = await c.closed;
  return {
    code: c.errors[0]?.code,
    fatal: c.errors[0]?.fatal,
    close: closed.code,
    welcomed: c.welcome !== undefined,
  };
}

describe("token refusals", () => {
  const cases: [string, () => Promise<string>, string, number][] = [
    ["alg none", async () => unsecuredToken(standardClaims()), "INVALID_TOKEN", 4001],
    [
      "HS256",
      async () => hs256Token(new TextEncoder().encode("a-shared-secret-of-32-bytes-long"), standardClaims()),
      "INVALID_TOKEN",
      4001,
    ],
    [
      "HS256 signed with the public key",
      async () => hs256Token(new TextEncoder().encode(JSON.stringify(key.publicJwk)), standardClaims(), "k1"),
      "INVALID_TOKEN",
      4001,
    ],
    ["expired", () => signToken(key, { iat: nowS() - 300, exp: nowS() - 60 }), "TOKEN_EXPIRED", 4001],
    [
      "expired 20 s ago (no 30 s grace)",
      () => signToken(key, { iat: nowS() - 300, exp: nowS() - 20 }),
      "TOKEN_EXPIRED",
      4001,
    ],
    [
      "lifetime stretched by a future iat",
      () => signToken(key, { iat: nowS() + 4, exp: nowS() + 904 }),
      "TOKEN_TOO_LONG_LIVED",
      4001,
    ],
    ["control characters in sub", () => signToken(key, { sub: "ann\nadmin" }), "INVALID_TOKEN", 4001],
    ["too long-lived", () => signToken(key, { exp: nowS() + 3600 }), "TOKEN_TOO_LONG_LIVED", 4001],
    ["missing sub", () => signToken(key, { omit: ["sub"] }), "INVALID_TOKEN", 4001],
    ["missing plan", () => signToken(key, { omit: ["plan"] }), "INVALID_TOKEN", 4001],
    ["missing exp", () => signToken(key, { omit: ["exp"] }), "INVALID_TOKEN", 4001],
    ["future iat", () => signToken(key, { iat: nowS() + 300, exp: nowS() + 800 }), "INVALID_TOKEN", 4001],
    ["wrong room", () => signToken(key, { room: "room-2" }), "ROOM_MISMATCH", 4003],
    ["unknown kid", async () => signToken(await createTestKey("nobody")), "INVALID_TOKEN", 4001],
    ["garbage", async () => "not.a.jwt", "INVALID_TOKEN", 4001],
  ];

  it.each(cases)("refuses %s with its code and close code", async (_name, make, code, closeCode) => {
    const r = await refusal(await make());
    expect(r).toEqual({ code, fatal: true, close: closeCode, welcomed: false });
  });

  it("refuses a malformed roomId with INVALID_ROOM", async () => {
    const r = await refusal(await signToken(key), "bad%2Froom");
    expect(r).toMatchObject({ code: "INVALID_ROOM", close: 4000 });
  });

  it("counts refusals by code in the metrics", async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/presence_refusals_total\{code="ROOM_MISMATCH"\} [1-9]/);
  });
});

describe("token lifetime", () => {
  it("closes a socket with TOKEN_EXPIRED at exp when it did not renew", async () => {
    const c = connect(await signToken(key, { exp: nowS() + 2 }));
    await c.ready;
    const closed = await c.closed;
    expect(closed.code).toBe(4001);
    expect(c.errors.map((e) => e.code)).toEqual(["TOKEN_EXPIRED"]);
  });

  it("keeps a socket that renews its token in-band before exp", async () => {
    const c = connect(await signToken(key, { exp: nowS() + 2 }));
    await c.ready;
    c.send({ type: MessageType.AUTH, token: await signToken(key, { exp: nowS() + 600 }) });
    await new Promise((r) => setTimeout(r, 3500));
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    expect(c.errors).toEqual([]);
  });

  it("closes a socket whose renewal is for another user with FORBIDDEN", async () => {
    const c = connect(await signToken(key));
    await c.ready;
    c.send({ type: MessageType.AUTH, token: await signToken(key, { sub: "mallory" }) });
    const closed = await c.closed;
    expect(closed.code).toBe(4003);
    expect(c.errors[0]?.code).toBe("FORBIDDEN");
  });

  it("closes a socket whose renewal token is invalid with that token's code", async () => {
    const c = connect(await signToken(key));
    await c.ready;
    c.send({ type: MessageType.AUTH, token: await signToken(key, { room: "elsewhere" }) });
    expect((await c.closed).code).toBe(4003);
    expect(c.errors[0]?.code).toBe("ROOM_MISMATCH");
  });
});
