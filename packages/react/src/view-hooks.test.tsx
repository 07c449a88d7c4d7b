// @vitest-environment jsdom
import { decodeViewParam, MessageType } from "@collabblocks/protocol";
import { renderHook } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { createPresenceHooks } from "./create-presence-hooks.js";
import { ALICE, createRoomTest, type PresenceState, peer } from "./test-support/react-harness.js";

const { RoomProvider, useOccupancy, useView } = createPresenceHooks<PresenceState>();

const setup = () => createRoomTest(RoomProvider);

describe("useOccupancy", () => {
  it("counts the room while the server sends everyone, then follows the server's report", async () => {
    const t = setup();
    const { result } = renderHook(() => useOccupancy(), { wrapper: t.wrapper });
    expect(result.current).toBeNull();
    await t.join({ others: [peer(ALICE, {})] });
    expect(result.current).toEqual({ connections: 2, users: 2, omitted: 0 });
    await t.server((s) =>
      s.deliver({ type: MessageType.OCCUPANCY, connections: 5000, users: 4000, omitted: 12 }),
    );
    expect(result.current).toEqual({ connections: 5000, users: 4000, omitted: 12 });
  });
});

describe("useView", () => {
  it("declares the view while mounted, re-declares only when its content changes, and drops it on unmount", async () => {
    const t = setup();
    let rect = { x0: 0, y0: 0, x1: 100, y1: 100 };
    const { rerender, unmount } = renderHook(() => useView({ rect: { ...rect }, cap: 20 }), {
      wrapper: t.wrapper,
    });
    await t.join();
    const socket = t.net.last();
    // Declared before the socket opened: it rides in the connect URL (the join snapshot is the view's).
    expect(decodeViewParam(socket.query.get("view") ?? "").rect).toEqual(rect);
    rerender(); // same content, new object: nothing sent
    await t.advance(200);
    expect(socket.sentOfType(MessageType.SET_VIEW)).toHaveLength(0);
    rect = { x0: 50, y0: 0, x1: 150, y1: 100 };
    rerender();
    await t.advance(200);
    expect(socket.sentOfType(MessageType.SET_VIEW).map((m) => m.view?.rect)).toEqual([rect]);
    unmount();
    await t.advance(200);
  });
});
