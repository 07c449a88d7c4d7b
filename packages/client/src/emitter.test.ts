import { describe, expect, it, vi } from "vitest";
import { createEmitter } from "./emitter.js";

interface Events {
  ping: (n: number) => void;
}

describe("createEmitter", () => {
  it("calls listeners in order and stops after unsubscribe", () => {
    const e = createEmitter<Events>();
    const calls: string[] = [];
    const off = e.on("ping", (n) => calls.push(`a${n}`));
    e.on("ping", (n) => calls.push(`b${n}`));
    e.emit("ping", 1);
    off();
    e.emit("ping", 2);
    expect(calls).toEqual(["a1", "b1", "b2"]);
  });

  it("keeps other listeners running when one throws, and reports the error", () => {
    const reported: unknown[] = [];
    const e = createEmitter<Events>((err) => reported.push(err));
    const seen = vi.fn();
    const boom = new Error("listener bug");
    e.on("ping", () => {
      throw boom;
    });
    e.on("ping", seen);
    e.emit("ping", 1);
    expect(seen).toHaveBeenCalledWith(1);
    expect(reported).toEqual([boom]);
  });
});
