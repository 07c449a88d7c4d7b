// Server-side helpers for unit tests: welcome and snapshot messages, and a tiny
// edge that numbers a connection's patches and echoes them in BATCH frames.
import {
  applyPatch,
  MessageType,
  type PeerState,
  type PresenceData,
  RTT_BUCKETS_MS,
  type WelcomeLimits,
  type WelcomeMessage,
} from "@collabblocks/protocol";
import { CLOCK_START } from "./fake-clock.js";
import type { FakeSocket } from "./fake-socket.js";

export const LIMITS: WelcomeLimits = {
  ratePerSecond: 20,
  burst: 5,
  maxStateBytes: 2048,
  maxMetaBytes: 1024,
  maxFrameBytes: 4096,
  heartbeatMs: 2000,
};

/** Test connection ids (22 characters, like the SDK's). */
export const ALICE = "aliceAAAAAAAAAAAAAAAAA";
export const BOB = "bobBBBBBBBBBBBBBBBBBBB";
export const CAROL = "carolCCCCCCCCCCCCCCCCC";

/** A stand-in for the server's derivation (PROTOCOL.md §1): stable per key, of the derived form. */
function derivedId(key: string | null): string | undefined {
  return key === null ? undefined : `K${key}`.slice(0, 24).padEnd(24, "A");
}

export function welcomeFor(socket: FakeSocket, overrides: Partial<WelcomeMessage> = {}): WelcomeMessage {
  const requested = Number(socket.query.get("epoch") ?? "0");
  return {
    type: MessageType.WELCOME,
    connectionId: derivedId(socket.query.get("key")) ?? socket.query.get("cid") ?? "serverAssignedAAAAAAAA",
    userId: "me",
    epoch: requested + 1,
    serverTime: CLOCK_START,
    tokenExp: CLOCK_START / 1000 + 600,
    limits: LIMITS,
    rttBuckets: RTT_BUCKETS_MS,
    ...overrides,
  };
}

export function peer(
  connectionId: string,
  state: PresenceData,
  version: { epoch?: number; clock?: number; userId?: string } = {},
): PeerState {
  return {
    connectionId,
    userId: version.userId ?? connectionId.slice(0, 5),
    info: undefined,
    epoch: version.epoch ?? 1,
    clock: version.clock ?? 0,
    state,
  };
}

export interface JoinOptions {
  welcome?: Partial<WelcomeMessage>;
  /** The room without the joiner; the joiner's own entry is added (state `selfState`, clock 0). */
  others?: readonly PeerState[];
  selfState?: PresenceData;
}

/** Accepts the socket and plays the server's opening: WELCOME, snapshot (incl. self), SNAPSHOT_DONE. */
export function join(socket: FakeSocket, options: JoinOptions = {}): WelcomeMessage {
  const welcome = welcomeFor(socket, options.welcome);
  socket.accept();
  socket.deliver(welcome);
  const self = peer(welcome.connectionId, options.selfState ?? {}, { epoch: welcome.epoch, userId: "me" });
  const entries = [...(options.others ?? []), self];
  socket.deliver({ type: MessageType.SNAPSHOT_CHUNK, syncId: 0, entries });
  socket.deliver({ type: MessageType.SNAPSHOT_DONE, syncId: 0, total: entries.length });
  return welcome;
}

/**
 * An edge for one socket: keeps the connection's state, gives accepted patches
 * clocks 1, 2, … and echoes each as an update entry (now, or via `echo` later).
 */
export function createEcho(socket: FakeSocket, welcome: WelcomeMessage, selfState: PresenceData = {}) {
  let clock = 0;
  let state = selfState;
  const held: { base: number; clock: number; set: PresenceData; del: readonly string[] }[] = [];
  let auto = true;
  socket.onClientMessage = (msg) => {
    if (msg.type !== MessageType.UPDATE_PRESENCE) return;
    state = applyPatch(state, msg);
    held.push({ base: clock, clock: clock + 1, set: msg.set, del: msg.del });
    clock++;
    if (auto) flush();
  };
  function flush(): void {
    const entries = held.splice(0).map((u) => ({
      kind: "update" as const,
      connectionId: welcome.connectionId,
      epoch: welcome.epoch,
      ...u,
    }));
    if (entries.length > 0) socket.deliver({ type: MessageType.BATCH, entries });
  }
  return {
    get state() {
      return state;
    },
    get clock() {
      return clock;
    },
    /** Hold echoes until `flush` (to measure RTT with a delay). */
    hold() {
      auto = false;
    },
    flush,
  };
}
