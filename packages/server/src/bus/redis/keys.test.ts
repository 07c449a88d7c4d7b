import { describe, expect, it } from "vitest";
import { roomOfWakeChannel, seenKey, stateKey, streamKey, wakeChannel } from "./keys.js";

describe("room keys", () => {
  it("names the keys exactly as the contract says, with a literal hash tag", () => {
    expect(streamKey("r1")).toBe("presence-{r1}");
    expect(stateKey("r1")).toBe("presence-{r1}:state");
    expect(seenKey("r1")).toBe("presence-{r1}:seen");
    expect(wakeChannel("r1")).toBe("presence-{r1}:wake");
  });

  it("recovers the room from a wake-up channel, even when the room id holds braces-free punctuation", () => {
    expect(roomOfWakeChannel(wakeChannel("a.b:c-d_e"))).toBe("a.b:c-d_e");
    expect(roomOfWakeChannel("presence-{r1}:state")).toBeUndefined();
    expect(roomOfWakeChannel("other")).toBeUndefined();
  });
});
