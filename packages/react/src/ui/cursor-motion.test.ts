import { describe, expect, it } from "vitest";
import { createFakeFrames } from "../test-support/fake-frames.js";
import { createCursorMotion, glideDuration, glidePosition, MAX_GLIDE_MS } from "./cursor-motion.js";

describe("glidePosition", () => {
  it("goes linearly from `from` at the start to `to` at the end, and stays there", () => {
    const from = { x: 0, y: 100 };
    const to = { x: 100, y: 0 };
    expect(glidePosition(from, to, 1000, 50, 1000)).toEqual(from);
    expect(glidePosition(from, to, 1000, 50, 1025)).toEqual({ x: 50, y: 50 });
    expect(glidePosition(from, to, 1000, 50, 1050)).toEqual(to);
    expect(glidePosition(from, to, 1000, 50, 9999)).toEqual(to);
    expect(glidePosition(from, to, 1000, 0, 1000)).toEqual(to);
  });
});

describe("glideDuration", () => {
  it("follows the sender's pace up to MAX_GLIDE_MS, and jumps for a first position or reduced motion", () => {
    expect(glideDuration(50, false)).toBe(50);
    expect(glideDuration(5000, false)).toBe(MAX_GLIDE_MS);
    expect(glideDuration(undefined, false)).toBe(0);
    expect(glideDuration(50, true)).toBe(0);
  });
});

describe("createCursorMotion", () => {
  const setup = (reduced = false) => {
    const f = createFakeFrames();
    const drawn: [string, number, number][] = [];
    const motion = createCursorMotion({
      frames: f.frames,
      reducedMotion: () => reduced,
      draw: (id, p) => drawn.push([id, p.x, p.y]),
    });
    return { ...f, drawn, motion };
  };

  it("draws a first position at once, then glides to the next through intermediate frames", () => {
    const t = setup();
    t.motion.target("a", { x: 0, y: 0 });
    expect(t.drawn).toEqual([["a", 0, 0]]);
    t.tick(40);
    t.motion.target("a", { x: 40, y: 0 }); // 40 ms after the first: a 40 ms glide
    expect(t.drawn).toHaveLength(1);
    t.tick(10);
    t.tick(10);
    expect(t.drawn.slice(1)).toEqual([
      ["a", 10, 0],
      ["a", 20, 0],
    ]);
    t.tick(30);
    expect(t.drawn.at(-1)).toEqual(["a", 40, 0]);
    expect(t.pending()).toBe(0); // the loop stops once everything has arrived
  });

  it("retargets from where the cursor is drawn, not from the old target", () => {
    const t = setup();
    t.motion.target("a", { x: 0, y: 0 });
    t.tick(100);
    t.motion.target("a", { x: 100, y: 0 }); // 100 ms glide
    t.tick(50); // drawn at 50
    t.motion.target("a", { x: 0, y: 0 }); // 50 ms glide back from 50
    t.tick(25);
    expect(t.drawn.at(-1)).toEqual(["a", 25, 0]);
  });

  it("jumps under reduced motion", () => {
    const t = setup(true);
    t.motion.target("a", { x: 0, y: 0 });
    t.tick(50);
    t.motion.target("a", { x: 50, y: 5 });
    expect(t.drawn.at(-1)).toEqual(["a", 50, 5]);
    expect(t.pending()).toBe(0);
  });

  it("stops drawing a removed cursor, and dispose cancels the frame", () => {
    const t = setup();
    t.motion.target("a", { x: 0, y: 0 });
    t.motion.target("b", { x: 0, y: 0 });
    t.tick(50);
    t.motion.target("a", { x: 10, y: 0 });
    t.motion.target("b", { x: 10, y: 0 });
    t.motion.remove("a");
    t.tick(10);
    expect(t.drawn.slice(2).map(([id]) => id)).toEqual(["b"]);
    t.motion.dispose();
    expect(t.pending()).toBe(0);
    expect(t.motion.position("b")).toBeUndefined();
  });
});
