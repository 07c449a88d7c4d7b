import { describe, expect, it } from "vitest";
import { decodeClientMessage, encode } from "./codec.js";
import { ProtocolError } from "./errors.js";
import { MessageType } from "./messages.js";
import {
  MAX_VIEW_CAP,
  MAX_VIEW_PINNED,
  positionOf,
  rectContains,
  type ViewSpec,
  validateView,
  withMargin,
} from "./view.js";
import { decodeViewParam, encodeViewParam, MAX_VIEW_PARAM_LENGTH } from "./view-param.js";

const good: ViewSpec = {
  everyone: false,
  rect: { x0: 0, y0: 0, x1: 100, y1: 50 },
  field: "cursor",
  pinned: ["alice"],
  cap: 100,
  roster: 10,
};

function code(view: ViewSpec): string | undefined {
  try {
    validateView(view);
    return undefined;
  } catch (err) {
    return err instanceof ProtocolError ? err.code : "other";
  }
}

describe("validateView", () => {
  it("accepts a well-formed view and a view without a window", () => {
    expect(code(good)).toBeUndefined();
    expect(code({ ...good, rect: null })).toBeUndefined();
  });

  it.each([
    ["NaN bounds", { ...good, rect: { x0: Number.NaN, y0: 0, x1: 1, y1: 1 } }],
    ["infinite bounds", { ...good, rect: { x0: 0, y0: 0, x1: Number.POSITIVE_INFINITY, y1: 1 } }],
    ["inverted bounds", { ...good, rect: { x0: 5, y0: 0, x1: 1, y1: 1 } }],
    [
      "too many pinned users",
      { ...good, pinned: Array.from({ length: MAX_VIEW_PINNED + 1 }, (_, i) => `u${i}`) },
    ],
    ["an empty pinned id", { ...good, pinned: [""] }],
    ["an empty field", { ...good, field: "" }],
    ["a cap above the maximum", { ...good, cap: MAX_VIEW_CAP + 1 }],
    ["a fractional roster", { ...good, roster: 1.5 }],
  ])("refuses %s with INVALID_VIEW", (_, view) => {
    expect(code(view as ViewSpec)).toBe("INVALID_VIEW");
  });

  it("round-trips SET_VIEW on the wire, and a malformed rect is MALFORMED_MESSAGE", () => {
    const msg = { type: MessageType.SET_VIEW, view: good } as const;
    expect(decodeClientMessage(encode(msg))).toEqual(msg);
    const clear = { type: MessageType.SET_VIEW, view: null } as const;
    expect(decodeClientMessage(encode(clear))).toEqual(clear);
    const bad = encode({ type: MessageType.SET_VIEW, view: { ...good, rect: null } });
    expect(bad[3]).toBe(0xc0); // [0x92, 110, [0x96, nil (rect), …]]
    bad[3] = 0x92; // rect becomes a 2-element array (of the next two fields): not [x0, y0, x1, y1]
    expect(() => decodeClientMessage(bad)).toThrow(expect.objectContaining({ code: "MALFORMED_MESSAGE" }));
  });
});

describe("positions", () => {
  it("reads {x, y} of finite numbers from the named field only", () => {
    expect(positionOf({ cursor: { x: 1, y: 2 } }, "cursor")).toEqual({ x: 1, y: 2 });
    expect(positionOf({ cursor: { x: "1", y: 2 } }, "cursor")).toBeUndefined();
    expect(positionOf({ cursor: null }, "cursor")).toBeUndefined();
    expect(positionOf({ pos: { x: 1, y: 2 } }, "cursor")).toBeUndefined();
  });

  it("grows a window by the margin on every side", () => {
    const r = withMargin({ x0: 0, y0: 0, x1: 100, y1: 10 });
    expect(r).toEqual({ x0: -10, y0: -1, x1: 110, y1: 11 });
    expect(rectContains(r, { x: 109, y: 10.5 })).toBe(true);
  });
});

describe("the view URL parameter", () => {
  it("round-trips a view and refuses anything else with INVALID_VIEW", () => {
    expect(decodeViewParam(encodeViewParam(good))).toEqual(good);
    const bad = (text: string) => () => decodeViewParam(text);
    expect(bad("not base64url!")).toThrow(expect.objectContaining({ code: "INVALID_VIEW" }));
    expect(bad("A".repeat(MAX_VIEW_PARAM_LENGTH + 1))).toThrow(
      expect.objectContaining({ code: "INVALID_VIEW" }),
    );
    const ping = btoa(String.fromCharCode(...encode({ type: MessageType.PING, t: 1 }))).replace(/=+$/, "");
    expect(bad(ping)).toThrow(expect.objectContaining({ code: "INVALID_VIEW" }));
    const inverted = encodeViewParam({ ...good, rect: { x0: 5, y0: 0, x1: 1, y1: 1 } });
    expect(bad(inverted)).toThrow(expect.objectContaining({ code: "INVALID_VIEW" }));
  });
});
