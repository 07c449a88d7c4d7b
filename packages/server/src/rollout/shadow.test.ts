import { generateKeyPairSync } from "node:crypto";
import {
  type ClientMessage,
  type ErrorCode,
  encode,
  MessageType,
  type PresenceData,
  RTT_BUCKETS_MS,
} from "@collabblocks/protocol";
import { decodeJwt } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ObservedConnection } from "../edge/observer.js";
import { createSilentLogger } from "../ops/logger.js";
import { createFakeClock, type FakeClock } from "../test-support/fake-clock.js";
import { RecordingSocket } from "../test-support/recording-socket.js";
import {
  type MirrorSocket,
  SHADOW_BACKPRESSURE_BYTES,
  SHADOW_SILENCE_MS,
  type ShadowCounters,
} from "./mirror-context.js";
import { stagingIdentity } from "./mirror-dialer.js";
import {
  checkShadowRoomPrefix,
  createShadowMirror,
  parseShadowTarget,
  SHADOW_SWEEP_MS,
  type ShadowMirror,
} from "./shadow.js";

const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const key = { key: privateKey, kid: "shadow-test" };

class FakeSocket extends RecordingSocket implements MirrorSocket {
  close(code: number): void {
    this.closedWith = code;
    this.readyState = 3;
  }
  terminate(): void {
    this.readyState = 3;
    this.emit("close", 1006);
  }
  /** Staging accepts: upgrade, then WELCOME with its limits. */
  welcome(burst = 5): void {
    this.readyState = 1;
    this.emit(
      "message",
      Buffer.from(
        encode({
          type: MessageType.WELCOME,
          connectionId: "c".repeat(22),
          userId: "u",
          epoch: 1,
          serverTime: Date.now(),
          tokenExp: Math.floor(Date.now() / 1000) + 600,
          limits: {
            ratePerSecond: 20,
            burst,
            maxStateBytes: 2048,
            maxMetaBytes: 1024,
            maxFrameBytes: 4096,
            heartbeatMs: 2000,
          },
          rttBuckets: RTT_BUCKETS_MS,
        }),
      ),
    );
  }
  refuse(code: ErrorCode, closeCode: number): void {
    this.readyState = 1;
    this.emit("message", Buffer.from(encode({ type: MessageType.ERROR, code, message: code, fatal: true })));
    this.readyState = 3;
    this.emit("close", closeCode);
  }
}

const mirrors: ShadowMirror[] = [];
afterEach(() => {
  for (const m of mirrors.splice(0)) m.close();
});

/** Backoff delays with random() = 0: 0.75 × SHADOW_BACKOFF_MS. */
const FIRST_BACKOFF_MS = 375;
const SECOND_BACKOFF_MS = 750;

/** A mirror on a fake clock (wall and monotonic time both from it): tests advance time, never sleep. */
function setup(options: { maxConnections?: number; roomPrefix?: string } = {}) {
  const sockets: FakeSocket[] = [];
  const stats: ShadowCounters = { shadowMirrored: 0, shadowDropped: 0, shadowConnections: 0 };
  const clock = createFakeClock();
  const mirror = createShadowMirror(
    { to: "ws://staging.test:9000/", key, ...options },
    {
      stats,
      logger: createSilentLogger(),
      random: () => 0, // shortest backoff (0.75 × the table)
      clock,
      monotonicNow: () => clock.now(),
      connect: (url) => {
        const s = new FakeSocket(url);
        sockets.push(s);
        return s;
      },
    },
  );
  mirrors.push(mirror);
  return { mirror, sockets, stats, clock };
}

/** Signing a staging token is real (async) crypto: wait for the dial it precedes. */
async function dialed(sockets: readonly FakeSocket[], n: number): Promise<void> {
  await vi.waitFor(() => expect(sockets).toHaveLength(n), { interval: 1 });
}

/** Moves time on while staging pings every 2 s, as a live staging edge does. */
async function advancePinged(clock: FakeClock, socket: FakeSocket, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 2000) {
    socket.emit("ping");
    await clock.advance(Math.min(2000, ms - t));
  }
}

function conn(
  roomId: string,
  connectionId: string,
  state: PresenceData = {},
): ObservedConnection & { state: PresenceData } {
  return {
    room: { roomId },
    connectionId,
    userId: "alice",
    info: { name: "A" },
    plan: "pro",
    org: "org_x",
    state,
  };
}

/** Applies a patch to the fake production connection and tells the mirror. */
function update(
  mirror: ShadowMirror,
  c: { state: PresenceData } & ObservedConnection,
  set: PresenceData,
  del: string[] = [],
) {
  const next: Record<string, unknown> = { ...c.state, ...set };
  for (const k of del) delete next[k];
  c.state = next as PresenceData;
  mirror.updated(c, { set, del });
}

describe("createShadowMirror", () => {
  it("joins staging as the production client and replays enter, patches and a clean leave", async () => {
    const { mirror, sockets, stats } = setup({ roomPrefix: "shadow-" });
    const c = conn("room-1", "cid-aaaaaaaaaaaaaaaaaaaa", { status: "idle" });
    mirror.entered(c);
    await dialed(sockets, 1);
    const url = new URL(sockets[0]!.url);
    expect(url.origin + url.pathname).toBe("ws://staging.test:9000/v1/rooms/shadow-room-1");
    expect(url.searchParams.get("cid")).toBe("cid-aaaaaaaaaaaaaaaaaaaa");
    const claims = decodeJwt(url.searchParams.get("token")!);
    expect(claims).toMatchObject({
      sub: "alice",
      room: "shadow-room-1",
      plan: "pro",
      org: "org_x",
      info: { name: "A" },
    });
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(900);

    sockets[0]!.welcome();
    expect(sockets[0]!.patches()).toEqual([{ set: { status: "idle" }, del: [] }]);
    update(mirror, c, { cursor: { x: 0.5, y: 0.25 } });
    update(mirror, c, {}, ["status"]);
    expect(sockets[0]!.patches().slice(1)).toEqual([
      { set: { cursor: { x: 0.5, y: 0.25 } }, del: [] },
      { set: {}, del: ["status"] },
    ]);
    mirror.ended(c, "left");
    expect(sockets[0]!.closedWith).toBe(1000);
    expect(stats).toEqual({ shadowMirrored: 4, shadowDropped: 0, shadowConnections: 0 });
  });

  it("closes with 4000 when the production client dropped, so staging keeps a ghost", async () => {
    const { mirror, sockets } = setup();
    const c = conn("room-1", "cid-bbbbbbbbbbbbbbbbbbbb");
    mirror.entered(c);
    await dialed(sockets, 1);
    sockets[0]!.welcome();
    mirror.ended(c, "ghost");
    expect(sockets[0]!.closedWith).toBe(4000);
  });

  it("folds patches beyond staging's token bucket into one and counts the folded ones as dropped", async () => {
    const { mirror, sockets, stats, clock } = setup();
    const c = conn("room-1", "cid-cccccccccccccccccccc");
    mirror.entered(c);
    await dialed(sockets, 1);
    sockets[0]!.welcome(2); // burst 2: one token left after the welcome's re-assert slot
    for (let i = 1; i <= 6; i++) update(mirror, c, { cursor: { x: i / 10, y: 0 } });
    expect(sockets[0]!.patches()).toHaveLength(1); // the first patch went at once
    await clock.advance(49); // staging refills a token every 50 ms (20/s)
    expect(sockets[0]!.patches()).toHaveLength(1);
    await clock.advance(1);
    expect(sockets[0]!.patches()).toHaveLength(2);
    expect(sockets[0]!.patches()[1]).toEqual({ set: { cursor: { x: 0.6, y: 0 } }, del: [] });
    // enter (1) + first patch (1) + folded flush (1) mirrored; 4 patches folded away.
    expect(stats.shadowMirrored).toBe(3);
    expect(stats.shadowDropped).toBe(4);
  });

  it("writes nothing to a backed-up socket and sends the latest state once it drains", async () => {
    const { mirror, sockets, clock } = setup();
    const c = conn("room-1", "cid-dddddddddddddddddddd");
    mirror.entered(c);
    await dialed(sockets, 1);
    sockets[0]!.welcome();
    sockets[0]!.bufferedAmount = SHADOW_BACKPRESSURE_BYTES + 1;
    update(mirror, c, { status: "a" });
    update(mirror, c, { status: "b" });
    await clock.advance(1000);
    expect(sockets[0]!.patches()).toHaveLength(0);
    sockets[0]!.bufferedAmount = 0;
    await clock.advance(25); // the next retry of waiting connections (SHADOW_FLUSH_MS)
    expect(sockets[0]!.patches()).toEqual([{ set: { status: "b" }, del: [] }]);
  });

  it("redials with backoff after staging goes away and re-asserts the whole state, deletions included", async () => {
    const { mirror, sockets, stats, clock } = setup();
    const c = conn("room-1", "cid-eeeeeeeeeeeeeeeeeeee", { status: "idle", avatar: "https://a.test/a.png" });
    mirror.entered(c);
    await dialed(sockets, 1);
    sockets[0]!.welcome();
    expect(stats.shadowConnections).toBe(1);
    sockets[0]!.terminate(); // staging restarted
    expect(stats.shadowConnections).toBe(0);
    update(mirror, c, { status: "editing" }, ["avatar"]);
    await clock.advance(FIRST_BACKOFF_MS - 1);
    expect(sockets).toHaveLength(1);
    await clock.advance(1);
    await dialed(sockets, 2); // the token is reused: it was welcomed
    sockets[1]!.refuse("UNAVAILABLE", 1013); // still coming up
    await clock.advance(SECOND_BACKOFF_MS - 1);
    expect(sockets).toHaveLength(2);
    await clock.advance(1);
    await dialed(sockets, 3); // a fresh token: the refused one is not trusted again
    sockets[2]!.welcome();
    expect(sockets[2]!.patches()).toEqual([{ set: { status: "editing" }, del: ["avatar"] }]);
    expect(stats.shadowConnections).toBe(1);
  });

  it("stops mirroring a connection that staging says was replaced", async () => {
    const { mirror, sockets, stats, clock } = setup();
    const c = conn("room-1", "cid-ffffffffffffffffffff");
    mirror.entered(c);
    await dialed(sockets, 1);
    sockets[0]!.welcome();
    sockets[0]!.readyState = 3;
    sockets[0]!.emit("close", 4009);
    update(mirror, c, { status: "x" });
    await clock.advance(60_000); // longer than any backoff
    expect(sockets).toHaveLength(1);
    expect(stats.shadowDropped).toBe(1);
  });

  it("mirrors at most maxConnections connections and counts the others' diffs as dropped", async () => {
    const { mirror, sockets, stats } = setup({ maxConnections: 2 });
    const cs = ["a", "b", "c"].map((l) => conn("room-1", `cid-${l.repeat(20)}`));
    for (const c of cs) mirror.entered(c);
    await dialed(sockets, 2);
    expect(mirror.size).toBe(2);
    update(mirror, cs[2]!, { status: "x" });
    mirror.ended(cs[2]!, "left");
    expect(stats.shadowDropped).toBe(3); // its enter, update and leave
  });

  it("skips rooms whose prefixed id would be too long", () => {
    const { mirror, stats } = setup({ roomPrefix: "p".repeat(64) });
    mirror.entered(conn("r".repeat(100), "cid-gggggggggggggggggggg"));
    expect(mirror.size).toBe(0);
    expect(stats.shadowDropped).toBe(1);
  });

  it("counts diffs lost with a connection that never reached staging", async () => {
    const { mirror, sockets, stats } = setup();
    const c = conn("room-1", "cid-hhhhhhhhhhhhhhhhhhhh");
    mirror.entered(c);
    update(mirror, c, { status: "x" });
    await dialed(sockets, 1);
    mirror.ended(c, "left");
    expect(stats).toEqual({ shadowMirrored: 0, shadowDropped: 3, shadowConnections: 0 });
  });
});

describe("createShadowMirror while staging is unreachable", () => {
  it("counts diffs as dropped when they happen, and re-asserts the state once staging answers", async () => {
    const { mirror, sockets, stats, clock } = setup();
    const c = conn("room-1", "cid-iiiiiiiiiiiiiiiiiiii");
    mirror.entered(c);
    await dialed(sockets, 1);
    sockets[0]!.terminate(); // connection refused
    expect(stats.shadowDropped).toBe(1); // the enter
    update(mirror, c, { status: "a" });
    update(mirror, c, { status: "b" });
    expect(stats.shadowDropped).toBe(3);
    await clock.advance(FIRST_BACKOFF_MS);
    await dialed(sockets, 2);
    sockets[1]!.welcome();
    expect(sockets[1]!.patches()).toEqual([{ set: { status: "b" }, del: [] }]);
    expect(stats).toEqual({ shadowMirrored: 0, shadowDropped: 3, shadowConnections: 1 });
  });
});

describe("createShadowMirror token renewal", () => {
  it("renews the staging token in-band before it expires", async () => {
    const { mirror, sockets, clock } = setup();
    mirror.entered(conn("room-1", "cid-jjjjjjjjjjjjjjjjjjjj"));
    await dialed(sockets, 1);
    sockets[0]!.welcome();
    const first = decodeJwt(new URL(sockets[0]!.url).searchParams.get("token")!);
    const isAuth = (m: ClientMessage) => m.type === MessageType.AUTH;
    await advancePinged(clock, sockets[0]!, (first.exp! - first.iat! - 121) * 1000); // just outside the renewal window
    expect(sockets[0]!.sent.some(isAuth)).toBe(false);
    await advancePinged(clock, sockets[0]!, 2000); // the next sweep is inside it
    await vi.waitFor(() => expect(sockets[0]!.sent.some(isAuth)).toBe(true), { interval: 1 }); // signing is real crypto
    expect(sockets).toHaveLength(1);
    const auth = sockets[0]!.sent.find((m) => m.type === MessageType.AUTH);
    const renewed = decodeJwt((auth as { token: string }).token);
    expect(renewed.exp).toBeGreaterThan(first.exp!);
    expect(renewed).toMatchObject({ sub: "alice", room: "room-1" });
  });
});

describe("createShadowMirror reconnects", () => {
  it("drops a socket staging went silent on and redials, but not one staging keeps pinging", async () => {
    const { mirror, sockets, stats, clock } = setup();
    mirror.entered(conn("room-1", "cid-kkkkkkkkkkkkkkkkkkkk", { status: "idle" }));
    await dialed(sockets, 1);
    sockets[0]!.welcome();
    await advancePinged(clock, sockets[0]!, 5 * SHADOW_SILENCE_MS);
    expect(sockets[0]!.readyState).toBe(1);
    await clock.advance(SHADOW_SILENCE_MS + SHADOW_SWEEP_MS); // silence, then the sweep that sees it
    expect(sockets[0]!.readyState).toBe(3);
    expect(stats.shadowConnections).toBe(0);
    await clock.advance(FIRST_BACKOFF_MS);
    await dialed(sockets, 2);
    sockets[1]!.welcome();
    expect(sockets[1]!.patches()).toEqual([{ set: { status: "idle" }, del: [] }]);
  });

  it("waits longer after each failed dial, up to the last delay, and starts over once welcomed", async () => {
    const { mirror, sockets, clock } = setup();
    mirror.entered(conn("room-1", "cid-llllllllllllllllllll"));
    await dialed(sockets, 1);
    // 0.75 × SHADOW_BACKOFF_MS (random() = 0); the last delay repeats.
    const expected = [375, 750, 1500, 3750, 7500, 22_500, 22_500];
    for (const [i, wait] of expected.entries()) {
      sockets[i]!.terminate(); // connection refused
      await clock.advance(wait - 1);
      expect(sockets).toHaveLength(i + 1);
      await clock.advance(1);
      await dialed(sockets, i + 2);
    }
    sockets[7]!.welcome();
    sockets[7]!.terminate();
    await clock.advance(FIRST_BACKOFF_MS);
    await dialed(sockets, 9);
  });

  it("sets no flush timer while nothing waits, and none after close", async () => {
    const { mirror, sockets, clock } = setup();
    const c = conn("room-1", "cid-mmmmmmmmmmmmmmmmmmmm");
    mirror.entered(c);
    await dialed(sockets, 1);
    sockets[0]!.welcome(1); // no token left after the re-assert
    expect(clock.pending).toBe(1); // the sweep
    update(mirror, c, { status: "a" });
    expect(sockets[0]!.patches()).toEqual([]);
    expect(clock.pending).toBe(2); // the sweep and the flush retry
    await clock.advance(50);
    expect(sockets[0]!.patches()).toEqual([{ set: { status: "a" }, del: [] }]);
    expect(clock.pending).toBe(1);
    mirror.close();
    expect(clock.pending).toBe(0);
  });
});

describe("shadow flag checks", () => {
  it("accepts ws(s) URLs and strips a trailing slash", () => {
    expect(parseShadowTarget("wss://staging.example.com/presence/")).toBe(
      "wss://staging.example.com/presence",
    );
    expect(parseShadowTarget("ws://10.0.0.5:8787")).toBe("ws://10.0.0.5:8787");
  });

  it.each(["http://staging:8787", "staging:8787", "ws://s/?a=1"])("refuses %s", (raw) => {
    expect(() => parseShadowTarget(raw)).toThrow(/--shadow-to/);
  });

  it("accepts room-id characters only as a prefix", () => {
    expect(checkShadowRoomPrefix("shadow:")).toBe("shadow:");
    expect(() => checkShadowRoomPrefix("a/b")).toThrow(/--shadow-room-prefix/);
    expect(() => checkShadowRoomPrefix("")).toThrow(/--shadow-room-prefix/);
  });

  it("names a mirror by the production id, as the identity key when the SDK derived that id", () => {
    expect(stagingIdentity("cid-aaaaaaaaaaaaaaaaaaaa")).toEqual({ cid: "cid-aaaaaaaaaaaaaaaaaaaa" });
    const derived = `K${"x".repeat(23)}`;
    expect(stagingIdentity(derived)).toEqual({ key: derived });
  });
});
