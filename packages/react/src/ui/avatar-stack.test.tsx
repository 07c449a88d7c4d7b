// @vitest-environment jsdom
import { MessageType } from "@collabblocks/protocol";
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { createPresenceHooks } from "../create-presence-hooks.js";
import {
  ALICE,
  BOB,
  CAROL,
  createRoomTest,
  type PresenceState,
  peer,
} from "../test-support/react-harness.js";
import { AvatarStack } from "./avatar-stack.js";

const { RoomProvider } = createPresenceHooks<PresenceState>();

afterEach(cleanup);

const named = (cid: string, userId: string, name: string) => ({
  ...peer(cid, {}, { userId }),
  info: { name },
});

describe("<AvatarStack />", () => {
  it("shows a person with two tabs once, with an accessible name and initials", async () => {
    const t = createRoomTest(RoomProvider);
    render(<AvatarStack />, { wrapper: t.wrapper });
    await t.join({ others: [named(ALICE, "ada", "Ada Lovelace"), named(BOB, "ada", "Ada Lovelace")] });
    const avatars = screen.getAllByRole("img");
    expect(avatars.map((a) => a.getAttribute("aria-label"))).toEqual(["Ada Lovelace"]);
    expect(avatars[0]!.textContent).toBe("AL");
    expect(screen.getByRole("list", { name: "1 other person here" })).toBeTruthy();
  });

  it("draws at most `max` avatars, then +N", async () => {
    const t = createRoomTest(RoomProvider);
    render(<AvatarStack max={1} />, { wrapper: t.wrapper });
    await t.join({
      others: [named(ALICE, "a", "A"), named(BOB, "b", "B"), named(CAROL, "c", "C")],
    });
    expect(screen.getAllByRole("img").map((a) => a.getAttribute("aria-label"))).toEqual(["A", "2 more"]);
    expect(screen.getByText("+2")).toBeTruthy();
  });

  it("counts the people of a large room from the server's occupancy", async () => {
    const t = createRoomTest(RoomProvider);
    render(<AvatarStack max={2} />, { wrapper: t.wrapper });
    await t.join({ others: [named(ALICE, "a", "A"), named(BOB, "b", "B")] });
    await t.server((s) =>
      s.deliver({ type: MessageType.OCCUPANCY, connections: 6000, users: 5001, omitted: 0 }),
    );
    expect(screen.getByText("+4998")).toBeTruthy();
    expect(screen.getByRole("list", { name: "5000 other people here" })).toBeTruthy();
  });
});
