import { describe, expect, it } from "vitest";
import { initials, userAvatar, userColor, userName } from "./user-look.js";

describe("userColor", () => {
  it("gives the same colour for the same id and spreads different ids over the hues", () => {
    expect(userColor("alice")).toBe(userColor("alice"));
    expect(userColor("alice")).toMatch(/^hsl\(\d{1,3} 65% 38%\)$/);
    const hues = new Set(Array.from({ length: 50 }, (_, i) => userColor(`user-${i}`)));
    expect(hues.size).toBeGreaterThan(40);
  });
});

describe("userName, userAvatar, initials", () => {
  it("takes info.name, else the user id", () => {
    expect(userName({ name: "Ada" }, "u1")).toBe("Ada");
    expect(userName({ name: "  " }, "u1")).toBe("u1");
    expect(userName(["Ada"], "u1")).toBe("u1");
    expect(userName(undefined, "u1")).toBe("u1");
  });

  it("accepts only http(s) avatar URLs from a peer", () => {
    expect(userAvatar({ avatar: "https://example.test/a.png" })).toBe("https://example.test/a.png");
    expect(userAvatar({ avatar: "javascript:alert(1)" })).toBeUndefined();
    expect(userAvatar({ avatar: 3 })).toBeUndefined();
  });

  it("makes up to two initials", () => {
    expect(initials("Swift Otter")).toBe("SO");
    expect(initials("ada")).toBe("A");
    expect(initials("mary-jane watson")).toBe("MW");
  });
});
