import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeClientMessage, decodeServerMessage, encode } from "./codec.js";
import { ProtocolError } from "./errors.js";
import { validateEvent } from "./event.js";
import { MAX_EVENT_BYTES } from "./limits.js";
import { MessageType } from "./messages.js";
import { json } from "./test-arbitraries.js";

const code = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err instanceof ProtocolError ? err.code : String(err);
  }
  return "ok";
};

describe("broadcast events", () => {
  it("accepts any JSON-like value within the size limit, as it is", () => {
    fc.assert(
      fc.property(json, (event) => {
        expect(validateEvent(event)).toBe(event);
      }),
    );
  });

  it("refuses what is not JSON-like, and what is over MAX_EVENT_BYTES encoded, with INVALID_EVENT", () => {
    expect(code(() => validateEvent(undefined))).toBe("INVALID_EVENT");
    expect(code(() => validateEvent({ at: new Date() }))).toBe("INVALID_EVENT");
    expect(code(() => validateEvent(Number.NaN))).toBe("INVALID_EVENT");
    expect(code(() => validateEvent("x".repeat(MAX_EVENT_BYTES - 3)))).toBe("ok"); // str16 header: 3 bytes
    expect(code(() => validateEvent("x".repeat(MAX_EVENT_BYTES - 2)))).toBe("INVALID_EVENT");
    let deep: unknown = 1;
    for (let i = 0; i < 20; i++) deep = [deep];
    expect(code(() => validateEvent(deep))).toBe("INVALID_EVENT");
  });

  it("round-trips BROADCAST and EVENT through the codec", () => {
    fc.assert(
      fc.property(json, (event) => {
        expect(decodeClientMessage(encode({ type: MessageType.BROADCAST, event }))).toEqual({
          type: MessageType.BROADCAST,
          event,
        });
        const relayed = { type: MessageType.EVENT, connectionId: "c1", userId: "u1", event } as const;
        expect(decodeServerMessage(encode(relayed))).toEqual(relayed);
      }),
    );
  });
});
