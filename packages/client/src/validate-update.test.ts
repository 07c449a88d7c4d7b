import { afterEach, describe, expect, it, vi } from "vitest";
import { join } from "./test-support/fake-server.js";
import { enterTestRoom } from "./test-support/room-harness.js";
import { validatePresenceUpdate } from "./validate-update.js";

afterEach(() => vi.restoreAllMocks());

describe("validatePresenceUpdate", () => {
  it("answers what the server would refuse, with the code and the field", () => {
    expect(validatePresenceUpdate({ cursor: { x: 0.5, y: 0.5 } })).toBeNull();
    expect(validatePresenceUpdate({ cursor: { x: "120px", y: 40 } })).toMatchObject({
      code: "INVALID_PRESENCE",
      message: expect.stringContaining("cursor"),
    });
    expect(validatePresenceUpdate({ avatar: "/me.png" })).toMatchObject({ code: "INVALID_PRESENCE" });
    expect(validatePresenceUpdate({ meta: { note: "n".repeat(2100) } })).toMatchObject({
      code: "PRESENCE_TOO_LARGE",
    });
    // Merged into the current state: a small addition to a nearly full state is too large too.
    expect(validatePresenceUpdate({ b: "y".repeat(200) }, { a: "x".repeat(1900) })?.code).toBe(
      "PRESENCE_TOO_LARGE",
    );
  });
});

describe("refused updates in development", () => {
  it("are warned in the console with the code and field, emitted as errors, and change nothing", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const t = await enterTestRoom({ initialPresence: { status: "idle" } });
    join(t.net.last());
    await t.clock.settle();
    const errors: string[] = [];
    t.room.subscribe("error", (e) => errors.push(e.code));
    t.room.updatePresence({ cursor: { x: "120px", y: 40 } } as never);
    expect(errors).toEqual(["INVALID_PRESENCE"]);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/INVALID_PRESENCE: .*cursor/));
    expect(t.room.getPresence()).toEqual({ status: "idle" });
  });
});
