// One client in one room over the fake network, with every event recorded.
import { createClient } from "../client.js";
import type {
  DecryptError,
  EncryptionOptions,
  LostConnectionEvent,
  OthersEvent,
  PresenceError,
  Status,
  User,
} from "../types.js";
import { createFakeClock } from "./fake-clock.js";
import { createFakeNetwork } from "./fake-socket.js";

/** The product plan's presence type (packages/client/README.md#behaviour). */
export interface PresenceState {
  cursor?: { x: number; y: number };
  avatar?: string;
  status?: "idle" | "editing" | "commenting" | string;
  meta?: Record<string, unknown>;
}

export interface HarnessOptions {
  initialPresence?: PresenceState;
  throttle?: number;
  lostConnectionTimeout?: number;
  encryption?: EncryptionOptions;
}

export async function enterTestRoom(options: HarnessOptions = {}) {
  const clock = createFakeClock();
  const net = createFakeNetwork();
  let hidden = false;
  const visibilityListeners = new Set<() => void>();
  let tokens = 0;
  const client = createClient({
    url: "ws://edge.test/",
    authEndpoint: async () => `token-${++tokens}`,
    WebSocket: net.WebSocket,
    timers: clock,
    random: () => 0.5,
    throttle: options.throttle,
    lostConnectionTimeout: options.lostConnectionTimeout,
    visibility: {
      isHidden: () => hidden,
      subscribe(cb) {
        visibilityListeners.add(cb);
        return () => visibilityListeners.delete(cb);
      },
    },
  });
  const { room, leave } = client.enterRoom<PresenceState>("room-1", {
    initialPresence: options.initialPresence ?? { status: "idle" },
    encryption: options.encryption,
  });
  const others: { list: readonly User<PresenceState>[]; event: OthersEvent<PresenceState> }[] = [];
  const statuses: Status[] = [];
  const errors: PresenceError[] = [];
  const lost: LostConnectionEvent[] = [];
  const myPresence: PresenceState[] = [];
  const decryptErrors: DecryptError[] = [];
  room.subscribe("decrypt-error", (e) => decryptErrors.push(e));
  room.subscribe("others", (list, event) => others.push({ list, event }));
  room.subscribe("status", (s) => statuses.push(s));
  room.subscribe("error", (e) => errors.push(e));
  room.subscribe("lost-connection", (e) => lost.push(e));
  room.subscribe("my-presence", (p) => myPresence.push(p));
  await clock.settle(); // token fetched, socket created
  return {
    clock,
    net,
    client,
    room,
    leave,
    others,
    statuses,
    errors,
    lost,
    myPresence,
    decryptErrors,
    tokensFetched: () => tokens,
    setHidden(value: boolean) {
      hidden = value;
      for (const cb of visibilityListeners) cb();
    },
  };
}
