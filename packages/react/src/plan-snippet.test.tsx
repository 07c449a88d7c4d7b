// @vitest-environment jsdom
// The product plan's snippet (packages/client/README.md#behaviour), verbatim: it must compile under strict +
// nodenext (tsc checks this file in `npm run check`) and work as written.
import { MessageType } from "@collabblocks/protocol";
import { act, renderHook } from "@testing-library/react";
import type { ReactNode } from "react";
import { describe, expect, expectTypeOf, it } from "vitest";
import { createPresenceHooks } from "./index.js";
import { ALICE, BOB, createTestClient, peer } from "./test-support/react-harness.js";

interface PresenceState {
  cursor?: { x: number; y: number }; // normalised 0–1
  avatar?: string; // url
  status?: "idle" | "editing" | "commenting" | string;
  meta?: Record<string, unknown>; // < 1 KB
}

const { RoomProvider, useMyPresence, useOthers, useSelf, useOther, useStatus } =
  createPresenceHooks<PresenceState>();
export function useCursor() {
  const update = useMyPresence(); // the updater
  const others = useOthers((state) => state.map((o) => o.cursor)); // shallow-equal by default
  return { cursor: others, setCursor: update };
}

describe("the product plan's useCursor snippet", () => {
  it("has the types the plan implies", () => {
    expectTypeOf(useCursor).returns.toEqualTypeOf<{
      cursor: ({ x: number; y: number } | undefined)[];
      setCursor: (patch: Partial<PresenceState>) => void;
    }>();
    const self = () => useSelf();
    expectTypeOf(self).returns.toEqualTypeOf<
      | (PresenceState & {
          connectionId: string;
          userId: string;
          info?: import("@collabblocks/client").Json;
          reconnecting?: true;
        })
      | null
    >();
    expectTypeOf(useOther).parameter(0).toEqualTypeOf<string>();
    expectTypeOf(useStatus).returns.toEqualTypeOf<
      "initial" | "connecting" | "connected" | "reconnecting" | "disconnected"
    >();
  });

  it("works as written: others' cursors in, my cursor out", async () => {
    const t = createTestClient();
    const wrapper = ({ children }: { children: ReactNode }) => (
      <RoomProvider client={t.client} id="canvas-1" initialPresence={{ status: "idle" }}>
        {children}
      </RoomProvider>
    );
    let renders = 0;
    const { result } = renderHook(
      () => {
        renders++;
        return useCursor();
      },
      { wrapper },
    );
    expect(result.current.cursor).toEqual([]);
    await t.join({ others: [peer(ALICE, { cursor: { x: 0.5, y: 0.5 } }), peer(BOB, { status: "idle" })] });
    expect(result.current.cursor).toEqual([{ x: 0.5, y: 0.5 }, undefined]);

    await act(async () => {
      result.current.setCursor({ cursor: { x: 0.4, y: 0.3 } });
      await t.clock.advance(20);
    });
    const sent = t.net.last().sentOfType(MessageType.UPDATE_PRESENCE).at(-1);
    expect(sent?.set).toEqual({ cursor: { x: 0.4, y: 0.3 } });

    const before = renders;
    await t.server((s) =>
      s.deliver({
        type: MessageType.BATCH,
        entries: [
          {
            kind: "update",
            connectionId: ALICE,
            epoch: 1,
            base: 0,
            clock: 1,
            set: { cursor: { x: 0.6, y: 0.1 } },
            del: [],
          },
        ],
      }),
    );
    expect(result.current.cursor).toEqual([{ x: 0.6, y: 0.1 }, undefined]);
    expect(renders).toBe(before + 1);
  });
});
