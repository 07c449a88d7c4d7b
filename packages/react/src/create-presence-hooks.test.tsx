// @vitest-environment jsdom
import { encryptedPresence } from "@collabblocks/client/e2ee";
import { MessageType, type PresenceData, SEALED_KEY } from "@collabblocks/protocol";
import { act, render, renderHook, screen } from "@testing-library/react";
import { type ReactNode, StrictMode } from "react";
import { renderToString } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { createPresenceHooks } from "./create-presence-hooks.js";
import {
  ALICE,
  BOB,
  CAROL,
  createTestClient,
  type PresenceState,
  peer,
} from "./test-support/react-harness.js";

const hooks = createPresenceHooks<PresenceState>();
const { RoomProvider, useOthers, useOther, useSelf, useStatus, useMyPresence, useOthersConnectionIds } =
  hooks;

function setup(initialPresence: PresenceState = { status: "idle" }) {
  const t = createTestClient();
  const wrapper = ({ children }: { children: ReactNode }) => (
    <RoomProvider client={t.client} id="room-1" initialPresence={initialPresence}>
      {children}
    </RoomProvider>
  );
  return { ...t, wrapper };
}

const update = (cid: string, clock: number, set: PresenceData) => ({
  type: MessageType.BATCH,
  entries: [{ kind: "update" as const, connectionId: cid, epoch: 1, base: clock - 1, clock, set, del: [] }],
});

function View() {
  const status = useStatus();
  const others = useOthers();
  const me = useSelf();
  return <p>{`${status} ${others.length} ${me === null ? "none" : me.userId}`}</p>;
}

function Names() {
  const others = useOthers();
  return (
    <ul>
      {others.map((o) => (
        <li key={o.connectionId}>{o.status}</li>
      ))}
    </ul>
  );
}

describe("RoomProvider", () => {
  it("passes `encryption` to the room: presence leaves sealed", async () => {
    const t = createTestClient();
    const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, [
      "encrypt",
      "decrypt",
    ]);
    const wrapper = ({ children }: { children: ReactNode }) => (
      <RoomProvider
        client={t.client}
        id="room-1"
        initialPresence={{ status: "secret" }}
        encryption={encryptedPresence({ key })}
      >
        {children}
      </RoomProvider>
    );
    renderHook(() => useStatus(), { wrapper });
    await t.join();
    const sent = () => t.net.last().sentOfType(MessageType.UPDATE_PRESENCE);
    for (let i = 0; i < 200 && sent().length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 2)); // WebCrypto settles in real time
      await t.advance(16);
    }
    expect(Object.keys(sent()[0]?.set ?? {})).toEqual([SEALED_KEY]);
    expect(JSON.stringify(sent())).not.toContain("secret");
  });

  it("enters the room on mount and leaves it (close 1000) on unmount", async () => {
    const t = setup();
    const { unmount } = renderHook(() => useStatus(), { wrapper: t.wrapper });
    await t.settle();
    expect(t.net.sockets).toHaveLength(1);
    unmount();
    expect(t.net.last().closedByClient?.code).toBe(1000);
  });

  it("ends with exactly one live connection under StrictMode's double effects", async () => {
    const t = setup();
    const { result } = renderHook(() => useStatus(), {
      wrapper: ({ children }) => <StrictMode>{t.wrapper({ children })}</StrictMode>,
    });
    await t.join();
    const live = t.net.sockets.filter((s) => s.closedByClient === undefined);
    expect(live).toHaveLength(1);
    expect(result.current).toBe("connected");
  });

  it("renders on the server without opening a socket, from the server snapshot", () => {
    const t = setup();
    const html = renderToString(
      <RoomProvider client={t.client} id="room-1" initialPresence={{}}>
        <View />
      </RoomProvider>,
    );
    expect(html).toContain("initial 0 none");
    expect(t.net.sockets).toHaveLength(0);
  });
});

describe("hooks", () => {
  it("useStatus follows the connection", async () => {
    const t = setup();
    const { result } = renderHook(() => useStatus(), { wrapper: t.wrapper });
    await t.settle();
    expect(result.current).toBe("connecting");
    await t.join();
    expect(result.current).toBe("connected");
    await t.server((s) => s.drop(1006));
    expect(result.current).toBe("reconnecting");
  });

  it("useOthers lists everyone else and re-renders only when they change", async () => {
    const t = setup();
    let renders = 0;
    const { result } = renderHook(
      () => {
        renders++;
        return useOthers();
      },
      { wrapper: t.wrapper },
    );
    await t.join({ others: [peer(ALICE, { status: "a" }), peer(BOB, { status: "b" })] });
    expect(result.current.map((o) => o.status)).toEqual(["a", "b"]);
    const before = renders;
    await t.server((s) => s.deliver(update(ALICE, 1, { status: "a2" })));
    expect(result.current.map((o) => o.status)).toEqual(["a2", "b"]);
    expect(renders).toBe(before + 1);
  });

  it("useOthers with a selector returning a fresh array neither loops nor re-renders for unrelated changes", async () => {
    const t = setup();
    let renders = 0;
    const { result } = renderHook(
      () => {
        renders++;
        return useOthers((others) => others.map((o) => o.cursor));
      },
      { wrapper: t.wrapper },
    );
    await t.join({
      others: [peer(ALICE, { cursor: { x: 0.1, y: 0.1 }, status: "a" }), peer(BOB, { status: "b" })],
    });
    expect(result.current).toEqual([{ x: 0.1, y: 0.1 }, undefined]);
    const selection = result.current;
    const before = renders;
    await t.server((s) => s.deliver(update(BOB, 1, { status: "typing" }))); // no cursor change
    expect(renders).toBe(before);
    expect(result.current).toBe(selection);
    await t.server((s) => s.deliver(update(ALICE, 1, { cursor: { x: 0.2, y: 0.2 } })));
    expect(result.current).toEqual([{ x: 0.2, y: 0.2 }, undefined]);
    expect(renders).toBe(before + 1);
  });

  it("useOther selects one connection and returns null when it is absent", async () => {
    const t = setup();
    const { result } = renderHook(() => [useOther(ALICE, (o) => o.status), useOther(CAROL)] as const, {
      wrapper: t.wrapper,
    });
    await t.join({ others: [peer(ALICE, { status: "a" })] });
    expect(result.current).toEqual(["a", null]);
    await t.server((s) =>
      s.deliver({ type: MessageType.BATCH, entries: [{ kind: "enter", ...peer(CAROL, { status: "c" }) }] }),
    );
    expect(result.current[1]).toMatchObject({ connectionId: CAROL, status: "c" });
  });

  it("useOthersConnectionIds keeps its array while only presence changes", async () => {
    const t = setup();
    const { result } = renderHook(() => useOthersConnectionIds(), { wrapper: t.wrapper });
    await t.join({ others: [peer(ALICE, {}), peer(BOB, {})] });
    const ids = result.current;
    expect(ids).toEqual([ALICE, BOB]);
    await t.server((s) => s.deliver(update(ALICE, 1, { status: "moved" })));
    expect(result.current).toBe(ids);
  });

  it("useMyPresence returns a stable updater whose changes reach useSelf and the wire", async () => {
    const t = setup();
    const { result } = renderHook(() => ({ update: useMyPresence(), status: useSelf((me) => me.status) }), {
      wrapper: t.wrapper,
    });
    await t.join();
    const first = result.current.update;
    expect(result.current.status).toBe("idle");
    await act(async () => {
      result.current.update({ status: "editing" });
      await t.clock.advance(20);
    });
    expect(result.current.status).toBe("editing");
    expect(result.current.update).toBe(first);
    expect(t.net.last().sentOfType(MessageType.UPDATE_PRESENCE).at(-1)?.set).toEqual({ status: "editing" });
  });

  it("useSelf is null before the welcome and carries identity after it", async () => {
    const t = setup();
    const { result } = renderHook(() => useSelf(), { wrapper: t.wrapper });
    expect(result.current).toBeNull();
    await t.join();
    expect(result.current).toMatchObject({ userId: "me", status: "idle" });
  });

  it("throws a clear error when used outside RoomProvider", () => {
    const quiet = console.error;
    console.error = () => {};
    try {
      expect(() => renderHook(() => useStatus())).toThrow(/RoomProvider/);
    } finally {
      console.error = quiet;
    }
  });

  it("renders a list of others from a component", async () => {
    const t = setup();
    render(<Names />, { wrapper: t.wrapper });
    await t.join({ others: [peer(ALICE, { status: "drawing" })] });
    expect(screen.getByText("drawing")).toBeTruthy();
  });
});
