// Connect-URL fuzz (issue 20): upgrade requests with hostile room ids, tokens, cids,
// epochs and views (PROTOCOL.md §1), written on raw TCP so that any byte can be in the
// request line. The server must answer each with an HTTP 4xx, or upgrade and then either
// join (WELCOME, a non-fatal INVALID_VIEW at most, the snapshot) or send one fatal ERROR
// and close with that code's close code (§7) — never take over another user's connection
// (the honest clients stay connected and exact), crash, log at error level or write a
// frame the protocol cannot decode. Reproduce as in README.md.
import { decodeServerMessage, ERRORS, encodeViewParam, MessageType } from "@collabblocks/protocol";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cidOf,
  FC_TIMEOUT_MS,
  type FuzzServer,
  fcParams,
  honestPatch,
  startFuzzServer,
} from "../test-support/fuzz-harness.js";
import { type RawClient, tryUpgrade } from "../test-support/raw-ws.js";

const ROOM = "fuzz-connect";
const raws: RawClient[] = [];
let fuzz: FuzzServer;

beforeAll(async () => {
  fuzz = await startFuzzServer();
});
afterAll(async () => {
  for (const r of raws) r.socket.destroy();
  await fuzz?.close();
});

/** A query value: text (percent-encoded when the URL is built) or bytes put in as they are. */
type Value = string | { readonly raw: string };
/** Placeholders resolved when the URL is built: tokens from the dev issuer, the honest client's cid. */
const TOKEN_VALID = "<token>";
const TOKEN_OTHER_ROOM = "<token-other-room>";
const HONEST_CID = "<honest-cid>";

const room: fc.Arbitrary<Value> = fc.oneof(
  { arbitrary: fc.constant(ROOM), weight: 12 },
  fc.constantFrom<Value>(
    { raw: "%" },
    { raw: "%zz" },
    { raw: "%E0%A4%A" },
    { raw: "fuzz%2Dconnect" }, // the same room, percent-encoded
    "..",
    "",
    "a".repeat(129),
    `${ROOM}\u0000`,
    "ü",
    { raw: "ro om" },
    { raw: "r\r\nX-Injected: 1" },
    { raw: `${"a".repeat(9000)}` },
  ),
  fc.string({ maxLength: 20 }),
);
const token: fc.Arbitrary<Value | undefined> = fc.oneof(
  { arbitrary: fc.constant(TOKEN_VALID), weight: 10 },
  fc.constantFrom<Value | undefined>(
    undefined,
    TOKEN_OTHER_ROOM,
    "",
    "junk",
    "a".repeat(9000),
    "e30.e30.e30",
  ),
);
const cid: fc.Arbitrary<Value | undefined> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 8 },
  { arbitrary: fc.constant(HONEST_CID), weight: 2 }, // a takeover attempt: FORBIDDEN
  fc.constantFrom<Value | undefined>("abc", "!".repeat(20), "c".repeat(65), "Q".repeat(22)),
  fc.string({ minLength: 16, maxLength: 30 }),
);
const epoch: fc.Arbitrary<Value | undefined> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 8 },
  fc.constantFrom<Value | undefined>("0", "1", "-1", "1e3", "9".repeat(16), "abc", "", " 1"),
  fc.nat().map(String),
);
const unit = fc.double({ min: 0, max: 1, noNaN: true });
const view: fc.Arbitrary<Value | undefined> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 8 },
  fc
    .record({
      x0: unit,
      y0: unit,
      cap: fc.nat({ max: 1200 }),
      pinned: fc.array(fc.string(), { maxLength: 70 }),
    })
    .map(({ x0, y0, cap, pinned }) =>
      encodeViewParam({
        rect: { x0, y0, x1: 1, y1: 1 },
        field: "cursor",
        pinned,
        cap,
        roster: 0,
        everyone: false,
      }),
    ),
  fc.constantFrom<Value | undefined>("!!!", "A", "x".repeat(5000), ""),
  fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b).toString("base64url")),
);
/** Parameters in any order, some repeated (URLSearchParams.get takes the first). */
const url: fc.Arbitrary<Url> = fc.record({
  room,
  params: fc
    .tuple(
      token,
      cid,
      epoch,
      view,
      fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, fc.constant<Value>("junk")),
    )
    .chain(([t, c, e, v, second]) =>
      fc.shuffledSubarray(
        [
          ["token", t],
          ["cid", c],
          ["epoch", e],
          ["view", v],
          ["token", second],
        ] as const,
        { minLength: 5, maxLength: 5 },
      ),
    ),
});

type Url = { readonly room: Value; readonly params: readonly (readonly [string, Value | undefined])[] };

async function run(u: Url, patch: Record<string, unknown>) {
  const { a, b } = await fuzz.honestPair(ROOM);
  const resolve = (v: Value) => {
    if (typeof v !== "string") return v.raw;
    if (v === TOKEN_VALID || v === TOKEN_OTHER_ROOM) return v; // filled in below
    return encodeURIComponent(v === HONEST_CID ? cidOf(a) : v);
  };
  const tokens = {
    [TOKEN_VALID]: await fuzz.server.devIssuer!.issue({ room: ROOM, user: "url-attacker" }),
    [TOKEN_OTHER_ROOM]: await fuzz.server.devIssuer!.issue({
      room: `${ROOM}-elsewhere`,
      user: "url-attacker",
    }),
  };
  const query = u.params
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => {
      const text = resolve(v!);
      return `${k}=${tokens[text as keyof typeof tokens] ?? text}`;
    })
    .join("&");
  const path = Buffer.from(`/v1/rooms/${resolve(u.room)}?${query}`);
  const { status, client } = await tryUpgrade(fuzz.server.port, path);
  if (client === undefined) {
    expect(status === 0 || (status >= 400 && status < 500), `HTTP ${status}`).toBe(true);
  } else {
    raws.push(client);
    const messages = () => client.frames.data.map((f) => decodeServerMessage(f.payload)); // throws when undecodable
    const joined = () => messages().some((m) => m.type === MessageType.SNAPSHOT_DONE && m.syncId === 0);
    const deadline = performance.now() + 5000;
    while (!joined() && !client.frames.close && !client.isEnded() && performance.now() < deadline) {
      await Promise.race([client.changed(), new Promise((r) => setTimeout(r, 100))]);
    }
    expect(client.frames.broken).toBeUndefined();
    const msgs = messages();
    const fatal = msgs.find((m) => m.type === MessageType.ERROR && m.fatal);
    if (fatal?.type === MessageType.ERROR) {
      expect(client.frames.close?.code, `close after ${fatal.code}`).toBe(ERRORS[fatal.code].closeCode);
      expect(msgs.some((m) => m.type === MessageType.WELCOME)).toBe(false);
    } else {
      expect(joined(), `a join or a fatal error, got ${JSON.stringify(msgs)}`).toBe(true);
      expect(msgs[0]?.type).toBe(MessageType.WELCOME);
      const welcome = msgs[0]?.type === MessageType.WELCOME ? msgs[0] : undefined;
      expect(welcome?.connectionId).not.toBe(cidOf(a)); // nobody takes over another user's connection
      for (const m of msgs) if (m.type === MessageType.ERROR) expect(m.code).toBe("INVALID_VIEW");
    }
    client.socket.destroy();
  }
  await fuzz.settleHonest(ROOM, patch);
  for (const h of [a, b]) expect(h.client.ws.readyState).toBe(h.client.ws.OPEN);
  await fuzz.checkServer();
}

describe("connect-URL fuzz", () => {
  it(
    "refuses, joins or closes each hostile connect URL as the protocol says, and takes over nobody",
    async () => {
      await fc.assert(
        fc.asyncProperty(url, honestPatch, (u, patch) => run(u, patch)),
        fcParams(40),
      );
    },
    FC_TIMEOUT_MS,
  );

  it("leaves only the honest clients in the room once the URL attackers are gone", async () => {
    await fuzz.checkRoomsEmptied();
    await fuzz.checkServer();
  });
});
