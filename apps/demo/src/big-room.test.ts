import { describe, expect, it } from "vitest";
import { pan, VIEWPORT } from "./big-room.js";
import { readPageConfig } from "./config.js";

describe("big-room mode", () => {
  it("is chosen with ?big=1", () => {
    expect(readPageConfig({ href: "http://x.test/?room=r&big=1" }).big).toBe(true);
    expect(readPageConfig({ href: "http://x.test/?room=r" }).big).toBe(false);
  });

  it("pans by a quarter viewport and keeps the viewport inside the world", () => {
    const start = { x0: 0.5, y0: 0.5 };
    expect(pan(start, 1, 0)).toEqual({ x0: 0.5 + VIEWPORT / 4, y0: 0.5 });
    let v = start;
    for (let i = 0; i < 100; i++) v = pan(v, 1, -1);
    expect(v).toEqual({ x0: 1 - VIEWPORT, y0: 0 });
  });
});
