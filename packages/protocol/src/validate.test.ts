import { describe, expect, it } from "vitest";
import { ProtocolError } from "./errors.js";
import type { Patch, PresenceData } from "./presence-types.js";
import { applyValidatedPatch, encodedStateSize, validatePatch, validateState } from "./validate.js";

function codeOf(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return (err as ProtocolError).code;
  }
}
const p = (set: Record<string, unknown>, del: string[] = []): Patch => ({ set: set as PresenceData, del });

describe("presence validation", () => {
  it("accepts the product plan's presence fields", () => {
    expect(
      codeOf(() =>
        validateState({
          cursor: { x: 523 / 1280, y: 1 },
          avatar: "https://example.com/a.png",
          status: "editing",
          meta: { color: "#f00", tags: ["a"] },
        }),
      ),
    ).toBeUndefined();
  });

  it("accepts null as a value of every known field", () => {
    expect(
      codeOf(() => validateState({ cursor: null, avatar: null, status: null, meta: null })),
    ).toBeUndefined();
  });

  it.each([
    ["NaN cursor", { cursor: { x: Number.NaN, y: 0 } }],
    ["infinite cursor", { cursor: { x: Number.POSITIVE_INFINITY, y: 0 } }],
    ["cursor out of range", { cursor: { x: 1.01, y: 0 } }],
    ["negative cursor", { cursor: { x: -0.1, y: 0 } }],
    ["cursor with extra keys", { cursor: { x: 0, y: 0, z: 0 } }],
    ["cursor as array", { cursor: [0, 0] }],
    ["non-http avatar", { avatar: "javascript:alert(1)" }],
    ["avatar not a URL", { avatar: "not a url" }],
    ["long status", { status: "s".repeat(65) }],
    ["numeric status", { status: 3 }],
    ["meta not an object", { meta: [1] }],
    ["NaN nested anywhere", { other: { deep: [Number.NaN] } }],
    ["undefined nested", { other: { a: undefined } }],
    ["a function", { other: () => 1 }],
    ["a Date", { other: new Date(0) }],
    ["reserved connectionId", { connectionId: "x" }],
    ["reserved userId", { userId: "x" }],
    ["reserved info", { info: "x" }],
    ["__proto__ key", JSON.parse('{"__proto__": {"polluted": true}}')],
  ])("refuses %s with INVALID_PRESENCE", (_name, set) => {
    expect(codeOf(() => validatePatch(p(set)))).toBe("INVALID_PRESENCE");
  });

  it("refuses deleting a reserved key and setting and deleting one key at once", () => {
    expect(codeOf(() => validatePatch(p({}, ["userId"])))).toBe("INVALID_PRESENCE");
    expect(codeOf(() => validatePatch(p({ status: "a" }, ["status"])))).toBe("INVALID_PRESENCE");
  });

  it("refuses a meta over 1 024 encoded bytes and a state over 2 048 with PRESENCE_TOO_LARGE", () => {
    expect(codeOf(() => validatePatch(p({ meta: { blob: "x".repeat(1100) } })))).toBe("PRESENCE_TOO_LARGE");
    expect(codeOf(() => validateState({ a: "x".repeat(1000), b: "y".repeat(1100) }))).toBe(
      "PRESENCE_TOO_LARGE",
    );
  });

  it("accepts a state of exactly the limit and refuses one byte more", () => {
    const filler = (n: number) => ({ a: "x".repeat(n) });
    let n = 1900;
    while (encodedStateSize(filler(n + 1)) <= 2048) n++;
    expect(encodedStateSize(filler(n))).toBe(2048);
    expect(codeOf(() => validateState(filler(n)))).toBeUndefined();
    expect(codeOf(() => validateState(filler(n + 1)))).toBe("PRESENCE_TOO_LARGE");
  });

  it("merges a valid patch, refuses an invalid one or an oversized result, and never changes the state", () => {
    const state = { status: "idle", a: "x".repeat(1000) };
    expect(applyValidatedPatch(state, p({ cursor: { x: 0.5, y: 0.5 } }, ["status"]))).toEqual({
      a: "x".repeat(1000),
      cursor: { x: 0.5, y: 0.5 },
    });
    expect(codeOf(() => applyValidatedPatch(state, p({ cursor: { x: 2, y: 0 } })))).toBe("INVALID_PRESENCE");
    expect(codeOf(() => applyValidatedPatch(state, p({ b: "y".repeat(1100) })))).toBe("PRESENCE_TOO_LARGE");
    expect(state).toEqual({ status: "idle", a: "x".repeat(1000) });
  });
});
