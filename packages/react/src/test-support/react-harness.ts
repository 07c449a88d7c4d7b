// A real client over the client package's fake socket and fake clock, for hook tests.
import { type Client, createClient } from "@collabblocks/client";
import { act } from "@testing-library/react";
import { type ComponentType, createElement, type ReactNode } from "react";
import { createFakeClock } from "../../../client/src/test-support/fake-clock.js";
import { type JoinOptions, join } from "../../../client/src/test-support/fake-server.js";
import { createFakeNetwork, type FakeSocket } from "../../../client/src/test-support/fake-socket.js";

export { ALICE, BOB, CAROL, createEcho, peer } from "../../../client/src/test-support/fake-server.js";
export type { FakeSocket };

/** The product plan's presence type (packages/client/README.md#behaviour). */
export interface PresenceState {
  cursor?: { x: number; y: number };
  avatar?: string;
  status?: "idle" | "editing" | "commenting" | string;
  meta?: Record<string, unknown>;
}

export function createTestClient() {
  const clock = createFakeClock();
  const net = createFakeNetwork();
  const client = createClient({
    url: "ws://edge.test",
    token: "t",
    WebSocket: net.WebSocket,
    timers: clock,
    random: () => 0.5,
    visibility: null,
  });
  return {
    clock,
    net,
    client,
    /** Lets the token resolve and the socket open, inside act. */
    async settle() {
      await act(async () => {
        await clock.settle();
      });
    },
    async advance(ms: number) {
      await act(async () => {
        await clock.advance(ms);
      });
    },
    /** Plays the server's opening on the newest socket, inside act. */
    async join(options: JoinOptions = {}) {
      await act(async () => {
        await clock.settle();
        join(net.last(), options);
        await clock.settle();
      });
    },
    /** Delivers server messages on the newest socket, inside act. */
    async server(fn: (socket: FakeSocket) => void) {
      await act(async () => {
        fn(net.last());
        await clock.settle();
      });
    },
  };
}

/** A RoomProvider's props, as far as the hook tests' wrapper needs them. */
type TestRoomProvider = ComponentType<{
  client: Client;
  id: string;
  initialPresence: PresenceState;
  children?: ReactNode;
}>;

/** A test client and a renderHook wrapper that puts the hook inside `RoomProvider` for room-1. */
export function createRoomTest(RoomProvider: TestRoomProvider) {
  const t = createTestClient();
  const wrapper = ({ children }: { children: ReactNode }) =>
    createElement(RoomProvider, { client: t.client, id: "room-1", initialPresence: {} }, children);
  return { ...t, wrapper };
}
