import { describe, expect, it } from "vitest";
import { stackCount } from "./avatar-count.js";

const occ = (users: number) => ({ connections: users, users, omitted: 0 });

describe("stackCount", () => {
  it("draws up to max and counts the rest in +N", () => {
    expect(stackCount(3, occ(4), false, 5)).toEqual({ shown: 3, more: 0, total: 3 });
    expect(stackCount(8, occ(9), false, 5)).toEqual({ shown: 5, more: 3, total: 8 });
  });

  it("draws the one extra avatar rather than a +1 badge in its place", () => {
    expect(stackCount(6, occ(7), false, 5)).toEqual({ shown: 6, more: 0, total: 6 });
  });

  it("counts people the client does not hold from the server's occupancy (large rooms)", () => {
    expect(stackCount(100, occ(5001), false, 5)).toEqual({ shown: 5, more: 4995, total: 5000 });
  });

  it("counts my other tab as a person (occupancy counts my user once, as me)", () => {
    expect(stackCount(2, occ(2), true, 5)).toEqual({ shown: 2, more: 0, total: 2 });
  });

  it("refuses a bad max", () => {
    expect(() => stackCount(1, null, false, -1)).toThrow(RangeError);
  });
});
