// @vitest-environment jsdom
import type { LostConnectionEvent, OthersEvent } from "@collabblocks/client";
import { MessageType, type PresenceData } from "@collabblocks/protocol";
import { renderHook } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { createPresenceHooks } from "./create-presence-hooks.js";
import { ALICE, BOB, createRoomTest, type PresenceState, peer } from "./test-support/react-harness.js";

const { RoomProvider, useOthersListener, useLostConnectionListener, useOthersMapped, useUsers } =
  createPresenceHooks<PresenceState>();

const setup = () => createRoomTest(RoomProvider);

const update = (connectionId: string, clock: number, set: PresenceData) => ({
  type: MessageType.BATCH,
  entries: [{ kind: "update" as const, connectionId, epoch: 1, base: clock - 1, clock, set, del: [] }],
});

describe("useOthersMapped", () => {
  it("maps others to [connectionId, value] and re-renders only when a selected value changes", async () => {
    const t = setup();
    let renders = 0;
    const { result } = renderHook(
      () => {
        renders++;
        return useOthersMapped((o) => o.status ?? "");
      },
      { wrapper: t.wrapper },
    );
    await t.join({
      others: [peer(ALICE, { status: "a" }), peer(BOB, { status: "b", cursor: { x: 0, y: 0 } })],
    });
    expect(result.current).toEqual([
      [ALICE, "a"],
      [BOB, "b"],
    ]);
    const before = renders;
    await t.server((s) => s.deliver(update(BOB, 1, { cursor: { x: 0.5, y: 0.5 } }))); // not selected
    expect(renders).toBe(before);
    await t.server((s) => s.deliver(update(ALICE, 1, { status: "busy" })));
    expect(renders).toBe(before + 1);
    expect(result.current[0]).toEqual([ALICE, "busy"]);
  });
});

describe("useUsers", () => {
  it("shows a user with two tabs once", async () => {
    const t = setup();
    const { result } = renderHook(() => useUsers(), { wrapper: t.wrapper });
    await t.join({
      others: [peer(ALICE, { status: "tab 1" }), peer(BOB, { status: "tab 2" }, { userId: "alice" })],
    });
    expect(result.current).toHaveLength(1);
    expect(result.current[0]!.connections).toHaveLength(2);
  });
});

describe("listener hooks", () => {
  it("useOthersListener hears enters, updates and leaves; useLostConnectionListener hears lost and restored", async () => {
    const t = setup();
    const events: OthersEvent<PresenceState>["type"][] = [];
    const lost: LostConnectionEvent[] = [];
    renderHook(
      () => {
        useOthersListener((e) => events.push(e.type));
        useLostConnectionListener((e) => lost.push(e));
      },
      { wrapper: t.wrapper },
    );
    await t.join({ others: [peer(ALICE, {})] });
    await t.server((s) =>
      s.deliver({
        type: MessageType.BATCH,
        entries: [
          { kind: "enter", connectionId: BOB, userId: "bob", info: undefined, epoch: 1, clock: 0, state: {} },
          { kind: "update", connectionId: ALICE, epoch: 1, base: 0, clock: 1, set: { status: "x" }, del: [] },
          { kind: "leave", connectionId: BOB, epoch: 1, clock: 0, reason: "left" },
        ],
      }),
    );
    expect(events).toEqual(["enter", "update", "leave"]);
    await t.server((s) => s.drop(1006));
    await t.advance(6000); // past lostConnectionTimeout (5 s) with the server unreachable
    expect(lost).toEqual(["lost"]);
  });
});
