// @vitest-environment jsdom
// useBroadcastEvent / useEventListener (PROTOCOL.md §9) over the fake server.
import type { RoomEvent } from "@collabblocks/client";
import { MessageType } from "@collabblocks/protocol";
import { renderHook } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { createPresenceHooks } from "./create-presence-hooks.js";
import { ALICE, createRoomTest, type PresenceState, peer } from "./test-support/react-harness.js";

type Reaction = { readonly emoji: string };
const { RoomProvider, useBroadcastEvent, useEventListener } = createPresenceHooks<PresenceState, Reaction>();

describe("event hooks", () => {
  it("useBroadcastEvent is stable and sends; useEventListener hears others with the latest callback", async () => {
    const t = createRoomTest(RoomProvider);
    const heard: string[] = [];
    let label = "first";
    const { result, rerender } = renderHook(
      () => {
        useEventListener((e: RoomEvent<PresenceState, Reaction>) =>
          heard.push(`${label} ${e.userId} ${e.event.emoji}`),
        );
        return useBroadcastEvent();
      },
      { wrapper: t.wrapper },
    );
    await t.join({ others: [peer(ALICE, {})] });
    const send = result.current;
    rerender();
    expect(result.current).toBe(send);
    expect(send({ emoji: "🎉" })).toBe(true);
    expect(t.net.last().sentOfType(MessageType.BROADCAST)).toEqual([
      { type: MessageType.BROADCAST, event: { emoji: "🎉" } },
    ]);
    label = "latest";
    rerender();
    await t.server((s) =>
      s.deliver({ type: MessageType.EVENT, connectionId: ALICE, userId: "alice", event: { emoji: "👍" } }),
    );
    expect(heard).toEqual(["latest alice 👍"]);
  });
});
