import { describe, expect, it } from "vitest";
import { peerLabel } from "./presence.js";

describe("peerLabel", () => {
  it("reads name and colour from the token's info", () => {
    expect(peerLabel({ name: "Calm Heron", color: "#2a9d3f" }, "u1")).toEqual({
      name: "Calm Heron",
      color: "#2a9d3f",
    });
  });

  it("falls back to the user id and a neutral colour for other info shapes", () => {
    expect(peerLabel(undefined, "u1")).toEqual({ name: "u1", color: "#37474f" });
    expect(peerLabel(["x"], "u2").name).toBe("u2");
    expect(peerLabel({ name: "", color: "red; background: url(x)" }, "u3")).toEqual({
      name: "u3",
      color: "#37474f",
    });
  });
});
