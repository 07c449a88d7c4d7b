import { describe, expect, it } from "vitest";
import { createLogger, prettyByDefault } from "./logger.js";

describe("log format", () => {
  it("is human-readable on a terminal and JSON otherwise, COLLABBLOCKS_LOG_FORMAT winning", () => {
    expect(prettyByDefault({}, true)).toBe(true);
    expect(prettyByDefault({}, false)).toBe(false);
    expect(prettyByDefault({ COLLABBLOCKS_LOG_FORMAT: "json" }, true)).toBe(false);
    expect(prettyByDefault({ COLLABBLOCKS_LOG_FORMAT: "pretty" }, false)).toBe(true);
  });

  it("builds both loggers", () => {
    expect(createLogger("silent", true).level).toBe("silent");
    expect(createLogger("warn", false).level).toBe("warn");
  });
});
