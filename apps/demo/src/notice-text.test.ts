import { describe, expect, it } from "vitest";
import { noticeFor } from "./notice-text.js";

describe("noticeFor", () => {
  it("says codes in words and never shows a raw code", () => {
    const text = noticeFor({ code: "SERVER_SHUTTING_DOWN", message: "server is shutting down" });
    expect(text).toBe("The server is restarting; reconnecting…");
    expect(text).not.toMatch(/[A-Z]{2,}_[A-Z]/);
    expect(noticeFor({ code: "MALFORMED_MESSAGE", message: "plain words" })).toBe("plain words");
  });
});
