import { describe, expect, it } from "vitest";
import { parseWakeMessage } from "./wake-subscriptions.js";

describe("wake-up messages", () => {
  it("read as id, origin and the payload that rides along", () => {
    expect(parseWakeMessage(Buffer.from("1-0 pod-a"))).toEqual({
      id: "1-0",
      origin: "pod-a",
      payload: undefined,
    });
    const withPayload = parseWakeMessage(
      Buffer.concat([Buffer.from("2-5 pod-b "), Buffer.from([0x20, 0x91, 0x00])]),
    );
    expect(withPayload?.id).toBe("2-5");
    expect(withPayload?.origin).toBe("pod-b");
    expect([...(withPayload?.payload ?? [])]).toEqual([0x20, 0x91, 0x00]); // binary, spaces included
  });

  it("ignore a message without a space", () => {
    expect(parseWakeMessage(Buffer.from("garbage"))).toBeUndefined();
  });
});
