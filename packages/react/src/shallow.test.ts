import { describe, expect, it } from "vitest";
import { shallow } from "./shallow.js";

describe("shallow", () => {
  it("compares arrays element by element with Object.is", () => {
    const a = { x: 1 };
    expect(shallow([a, undefined], [a, undefined])).toBe(true);
    expect(shallow([a], [{ x: 1 }])).toBe(false);
    expect(shallow([1, 2], [1, 2, 3])).toBe(false);
    expect(shallow([Number.NaN], [Number.NaN])).toBe(true);
  });

  it("compares plain objects key by key", () => {
    const v = [1];
    expect(shallow({ a: 1, b: v }, { b: v, a: 1 })).toBe(true);
    expect(shallow({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(shallow({ a: [1] }, { a: [1] })).toBe(false);
  });

  it("does not confuse arrays, objects and primitives", () => {
    expect(shallow<unknown>([], {})).toBe(false);
    expect(shallow<unknown>(null, {})).toBe(false);
    expect(shallow("a", "a")).toBe(true);
    expect(shallow(new Map(), {} as unknown as Map<never, never>)).toBe(false);
  });
});
