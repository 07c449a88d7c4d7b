import { RATE_PER_SECOND } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { RTT_REPORT_MAX_SPAN_MS, takeRttReport } from "./rtt-budget.js";

describe("takeRttReport", () => {
  it("accepts an honest client's report: at most one sample per allowed patch since the last one", () => {
    const budget = { lastAt: 0 };
    expect(takeRttReport(budget, 10 * RATE_PER_SECOND, 10_000)).toBe("ok");
    expect(budget.lastAt).toBe(10_000);
  });

  it("refuses reports closer than a second apart and reports carrying more samples than patches were possible", () => {
    const budget = { lastAt: 0 };
    expect(takeRttReport(budget, 1, 500)).toBe("too-soon");
    expect(takeRttReport(budget, 2 * RATE_PER_SECOND + 1, 2000)).toBe("too-many");
    expect(budget.lastAt).toBe(0); // refusals leave the budget as it was
    expect(takeRttReport(budget, 100_000, RTT_REPORT_MAX_SPAN_MS * 100)).toBe("too-many");
  });
});
