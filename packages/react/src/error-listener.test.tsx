// @vitest-environment jsdom
import type { PresenceError } from "@collabblocks/client";
import { act, renderHook } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { createPresenceHooks } from "./create-presence-hooks.js";
import { createRoomTest, type PresenceState } from "./test-support/react-harness.js";

const { RoomProvider, useErrorListener, useMyPresence } = createPresenceHooks<PresenceState>();

describe("useErrorListener", () => {
  it("hears a refused update with its code, through the latest callback, until unmounted", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const t = createRoomTest(RoomProvider);
    const { wrapper } = t;
    const first: PresenceError[] = [];
    const second: PresenceError[] = [];
    let callback = (e: PresenceError) => first.push(e);
    const { result, rerender, unmount } = renderHook(
      () => {
        useErrorListener(callback);
        return useMyPresence();
      },
      { wrapper },
    );
    await t.join({});
    act(() => result.current({ cursor: { x: "120px", y: 0 } } as never));
    expect(first.map((e) => e.code)).toEqual(["INVALID_PRESENCE"]);
    callback = (e) => second.push(e);
    rerender();
    act(() => result.current({ avatar: "/relative.png" } as never));
    expect(first).toHaveLength(1);
    expect(second.map((e) => e.code)).toEqual(["INVALID_PRESENCE"]);
    unmount();
  });
});
