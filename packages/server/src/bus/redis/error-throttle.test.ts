import { describe, expect, it } from "vitest";
import { createErrorThrottle } from "./error-throttle.js";

describe("error throttle", () => {
  it("reports the first error of a kind at once, then one per interval with the count suppressed", () => {
    let t = 0;
    const seen: Array<[string, number]> = [];
    const report = createErrorThrottle(
      (_e, ctx, n) => seen.push([ctx, n]),
      1000,
      () => t,
    );
    report(new Error("x"), "append presence-{a}");
    report(new Error("x"), "append presence-{b}");
    report(new Error("x"), "touch presence-{a}");
    t = 1500;
    report(new Error("x"), "append presence-{c}");
    expect(seen).toEqual([
      ["append presence-{a}", 0],
      ["touch presence-{a}", 0],
      ["append presence-{c}", 1],
    ]);
    expect(report.total).toBe(4);
  });
});
