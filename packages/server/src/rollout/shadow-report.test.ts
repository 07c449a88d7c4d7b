import pino from "pino";
import { describe, expect, it } from "vitest";
import { createFakeClock } from "../test-support/fake-clock.js";
import { createShadowReport, SHADOW_LOG_INTERVAL_MS } from "./shadow-report.js";

function captured() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe("createShadowReport", () => {
  it("logs each kind of event at most once per interval, with how many it held back", async () => {
    const clock = createFakeClock();
    const { logger, lines } = captured();
    const report = createShadowReport(logger, clock);
    report("cannot reach staging", { err: "ECONNREFUSED" });
    report("cannot reach staging", { err: "ECONNREFUSED" });
    report("staging error", { code: "UNAVAILABLE" });
    await clock.advance(SHADOW_LOG_INTERVAL_MS - 1);
    report("cannot reach staging", { err: "ECONNREFUSED" });
    expect(lines.map((l) => [l.msg, l.suppressed])).toEqual([
      ["shadow: cannot reach staging", 0],
      ["shadow: staging error", 0],
    ]);
    await clock.advance(1);
    report("cannot reach staging", { err: "ETIMEDOUT" });
    expect(lines[2]).toMatchObject({ msg: "shadow: cannot reach staging", suppressed: 2, err: "ETIMEDOUT" });
  });
});
