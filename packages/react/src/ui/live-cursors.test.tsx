// @vitest-environment jsdom
import { MessageType, type PresenceData } from "@collabblocks/protocol";
import { act, cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { createPresenceHooks } from "../create-presence-hooks.js";
import { createFakeFrames } from "../test-support/fake-frames.js";
import { ALICE, BOB, createRoomTest, type PresenceState, peer } from "../test-support/react-harness.js";
import { LiveCursors } from "./live-cursors.js";
import { userColor } from "./user-look.js";

const { RoomProvider } = createPresenceHooks<PresenceState>();

afterEach(cleanup);

const update = (connectionId: string, clock: number, set: PresenceData) => ({
  type: MessageType.BATCH,
  entries: [{ kind: "update" as const, connectionId, epoch: 1, base: clock - 1, clock, set, del: [] }],
});

const cursorOf = (cid: string) =>
  document.querySelector<HTMLElement>(`.cb-cursor[data-connection-id="${cid}"]`);

async function setup(props: { reducedMotion?: boolean } = {}) {
  const t = createRoomTest(RoomProvider);
  const f = createFakeFrames();
  render(<LiveCursors frames={f.frames} reducedMotion={props.reducedMotion ?? false} />, {
    wrapper: t.wrapper,
  });
  await t.join({
    others: [
      { ...peer(ALICE, { cursor: { x: 0, y: 0 } }), info: { name: "Alice" } },
      peer(BOB, { status: "no cursor" }),
    ],
  });
  return { t, f };
}

describe("<LiveCursors />", () => {
  it("draws a named, coloured cursor for each peer with a position, and none for a peer without", async () => {
    await setup();
    const cursor = screen.getByRole("img", { name: "Cursor of Alice" });
    expect(cursor.textContent).toBe("Alice");
    expect(cursor.style.getPropertyValue("--cb-cursor-color")).toBe(userColor("alice"));
    expect(cursor.style.left).toBe("0px");
    expect(cursorOf(BOB)).toBeNull();
    expect(document.querySelector(".cb-live-cursors")!.children).toHaveLength(1);
  });

  it("glides to a new position through intermediate frames", async () => {
    const { t, f } = await setup();
    act(() => f.tick(100));
    await t.server((s) => s.deliver(update(ALICE, 1, { cursor: { x: 200, y: 100 } })));
    const cursor = cursorOf(ALICE)!;
    expect(cursor.dataset.x).toBe("200"); // the target, at once
    expect(cursor.style.left).toBe("0px"); // the drawing, not yet moved
    act(() => f.tick(50)); // half of the 100 ms glide
    expect(cursor.style.left).toBe("100px");
    expect(cursor.style.top).toBe("50px");
    act(() => f.tick(50));
    expect(cursor.style.left).toBe("200px");
  });

  it("jumps under reduced motion", async () => {
    const { t, f } = await setup({ reducedMotion: true });
    act(() => f.tick(100));
    await t.server((s) => s.deliver(update(ALICE, 1, { cursor: { x: 200, y: 100 } })));
    expect(cursorOf(ALICE)!.style.left).toBe("200px");
    expect(f.pending()).toBe(0);
  });

  it("removes the cursor when the peer's position goes away", async () => {
    const { t } = await setup();
    await t.server((s) => s.deliver(update(ALICE, 1, { cursor: null })));
    expect(cursorOf(ALICE)).toBeNull();
  });

  it("fades a peer that dropped (PEER_LOST) and restores it when it comes back under a newer epoch", async () => {
    const { t } = await setup();
    await t.server((s) => s.deliver({ type: MessageType.PEER_LOST, connectionId: ALICE, epoch: 1 }));
    const faded = screen.getByRole("img", { name: "Cursor of Alice (reconnecting)" });
    expect(faded.dataset.reconnecting).toBe("");
    expect(faded.style.opacity).toContain("--cb-cursor-reconnecting-opacity");
    const back = { ...peer(ALICE, { cursor: { x: 0, y: 0 } }, { epoch: 2 }), info: { name: "Alice" } };
    await t.server((s) => s.deliver({ type: MessageType.BATCH, entries: [{ kind: "enter", ...back }] }));
    const restored = screen.getByRole("img", { name: "Cursor of Alice" });
    expect(restored.dataset.reconnecting).toBeUndefined();
    expect(restored.style.opacity).toBe("");
  });

  it("jumps when the OS asks for reduced motion and no prop says otherwise", async () => {
    const original = window.matchMedia;
    window.matchMedia = ((query: string) => ({
      matches: query === "(prefers-reduced-motion: reduce)",
    })) as never;
    try {
      const t = createRoomTest(RoomProvider);
      const f = createFakeFrames();
      render(<LiveCursors frames={f.frames} />, { wrapper: t.wrapper });
      await t.join({ others: [peer(ALICE, { cursor: { x: 0, y: 0 } })] });
      act(() => f.tick(100));
      await t.server((s) => s.deliver(update(ALICE, 1, { cursor: { x: 200, y: 100 } })));
      expect(cursorOf(ALICE)!.style.left).toBe("200px");
    } finally {
      window.matchMedia = original;
    }
  });

  it("draws fractions as percentages of the overlay", async () => {
    const t = createRoomTest(RoomProvider);
    const f = createFakeFrames();
    render(<LiveCursors frames={f.frames} units="fraction" />, { wrapper: t.wrapper });
    await t.join({ others: [peer(ALICE, { cursor: { x: 0.25, y: 0.5 } })] });
    expect(cursorOf(ALICE)!.style.left).toBe("25%");
    expect(cursorOf(ALICE)!.style.top).toBe("50%");
  });

  it("re-renders only the cursor whose user changed (renders counted through the label)", async () => {
    const t = createRoomTest(RoomProvider);
    const renders = new Map<string, number>();
    const label = (u: { connectionId: string }) => {
      renders.set(u.connectionId, (renders.get(u.connectionId) ?? 0) + 1);
      return u.connectionId;
    };
    render(<LiveCursors frames={createFakeFrames().frames} label={label} />, { wrapper: t.wrapper });
    await t.join({
      others: [peer(ALICE, { cursor: { x: 0, y: 0 } }), peer(BOB, { cursor: { x: 0, y: 0 } })],
    });
    const before = { alice: renders.get(ALICE)!, bob: renders.get(BOB)! };
    await t.server((s) => s.deliver(update(ALICE, 1, { cursor: { x: 5, y: 5 } })));
    await t.server((s) => s.deliver(update(ALICE, 2, { cursor: { x: 6, y: 6 } })));
    expect(renders.get(ALICE)).toBe(before.alice + 2);
    expect(renders.get(BOB)).toBe(before.bob);
  });

  it("says what is missing outside a RoomProvider", () => {
    expect(() => render(<LiveCursors />)).toThrow(/room` prop or a RoomProvider/);
  });
});
