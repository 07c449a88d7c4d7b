// Type tests: checked by `tsc -p tsconfig.check.json` (npm run check); at run time
// expectTypeOf is a no-op, so these also pass under vitest.
import { describe, expectTypeOf, it } from "vitest";
import { WebSocket as WsWebSocket } from "ws";
import { type EncryptedPresenceOptions, encryptedPresence, type PresenceKey } from "./e2ee.js";
import {
  type ClientOptions,
  createClient,
  type DecryptError,
  type DecryptErrorCode,
  type EncryptionOptions,
  isLocked,
  type Json,
  type Locked,
  type Room,
  type User,
} from "./index.js";

/** The product plan's presence type, verbatim (packages/client/README.md#behaviour). */
interface PresenceState {
  cursor?: { x: number; y: number }; // normalised 0–1
  avatar?: string; // url
  status?: "idle" | "editing" | "commenting" | string;
  meta?: Record<string, unknown>; // < 1 KB
}

describe("public types", () => {
  it("accept the plan's PresenceState interface as P", () => {
    const client = createClient({ url: "ws://127.0.0.1:8787", token: "t", WebSocket: WsWebSocket });
    const enter = () => client.enterRoom<PresenceState>("room-1", { initialPresence: { status: "idle" } });
    expectTypeOf<ReturnType<typeof enter>["room"]>().toEqualTypeOf<Room<PresenceState>>();
  });

  it("put presence fields at the top level of User<P>, beside the reserved identity keys", () => {
    expectTypeOf<User<PresenceState>["cursor"]>().toEqualTypeOf<{ x: number; y: number } | undefined>();
    expectTypeOf<User<PresenceState>["connectionId"]>().toEqualTypeOf<string>();
    expectTypeOf<User<PresenceState>["userId"]>().toEqualTypeOf<string>();
    expectTypeOf<User<PresenceState>["info"]>().toEqualTypeOf<Json | undefined>();
    const cursors = (others: readonly User<PresenceState>[]) => others.map((o) => o.cursor);
    expectTypeOf(cursors).returns.toEqualTypeOf<({ x: number; y: number } | undefined)[]>();
  });

  it("type the room's API from P", () => {
    expectTypeOf<Room<PresenceState>["getOthers"]>().returns.toEqualTypeOf<readonly User<PresenceState>[]>();
    expectTypeOf<Room<PresenceState>["getPresence"]>().returns.toEqualTypeOf<PresenceState>();
    expectTypeOf<Room<PresenceState>["updatePresence"]>()
      .parameter(0)
      .toEqualTypeOf<Partial<PresenceState>>();
    const subscribe = (room: Room<PresenceState>) =>
      room.subscribe("others", (others, event) => {
        expectTypeOf(others).toEqualTypeOf<readonly User<PresenceState>[]>();
        if (event.type === "update") expectTypeOf(event.previous).toEqualTypeOf<User<PresenceState>>();
      });
    expectTypeOf(subscribe).returns.toEqualTypeOf<() => void>();
  });

  it("accept both the ws package's WebSocket and the browser's as `WebSocket`", () => {
    expectTypeOf(WsWebSocket).toExtend<NonNullable<ClientOptions["WebSocket"]>>();
    expectTypeOf(globalThis.WebSocket).toExtend<NonNullable<ClientOptions["WebSocket"]>>();
  });

  it("type encrypted presence: a CryptoKey or a resolver, Locked values, and the decrypt-error event", () => {
    expectTypeOf<CryptoKey>().toExtend<EncryptedPresenceOptions["key"]>();
    const resolver = async (id?: number): Promise<PresenceKey | undefined> => (id ? undefined : undefined);
    expectTypeOf(resolver).toExtend<EncryptedPresenceOptions["key"]>();
    expectTypeOf<string>().not.toExtend<EncryptedPresenceOptions["key"]>();
    expectTypeOf(encryptedPresence).returns.toEqualTypeOf<EncryptionOptions>();
    const status = (user: User<PresenceState>) => {
      const value: unknown = user.status;
      if (isLocked(value)) expectTypeOf(value).toEqualTypeOf<Locked>();
    };
    expectTypeOf(status).returns.toEqualTypeOf<void>();
    const subscribe = (room: Room<PresenceState>) =>
      room.subscribe("decrypt-error", (error) => {
        expectTypeOf(error).toEqualTypeOf<DecryptError>();
        expectTypeOf(error.code).toEqualTypeOf<DecryptErrorCode>();
      });
    expectTypeOf(subscribe).returns.toEqualTypeOf<() => void>();
  });

  it("reject presence types that are not objects", () => {
    // @ts-expect-error P must be an object type
    expectTypeOf<Room<string>>();
  });
});
