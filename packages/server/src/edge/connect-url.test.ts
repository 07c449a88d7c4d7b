import { describe, expect, it } from "vitest";
import { isRoomsPath, parseConnectUrl } from "./connect-url.js";

describe("parseConnectUrl", () => {
  it("reads room, token, cid and epoch", () => {
    const r = parseConnectUrl("/v1/rooms/room-1?token=abc&cid=ABCDEFGHIJKLMNOPQRSTUV&epoch=3");
    expect(r).toEqual({
      ok: true,
      roomId: "room-1",
      token: "abc",
      connectionId: "ABCDEFGHIJKLMNOPQRSTUV",
      epoch: 3,
      rev: 1,
    });
  });

  it("reads the protocol revision: 1 by default and for junk, clamped to the highest known", () => {
    const rev = (q: string) => (parseConnectUrl(`/v1/rooms/r?token=t${q}`) as { rev: number }).rev;
    const asked = ["", "&rev=1", "&rev=2", "&rev=3", "&rev=4", "&rev=9", "&rev=x", "&rev=0", "&rev=100"];
    expect(asked.map(rev)).toEqual([1, 1, 2, 3, 4, 4, 1, 1, 1]);
  });

  it("percent-decodes the roomId before checking its grammar", () => {
    expect(parseConnectUrl("/v1/rooms/a%3Ab?token=t")).toMatchObject({ ok: true, roomId: "a:b" });
    expect(parseConnectUrl("/v1/rooms/a%2Fb?token=t")).toMatchObject({ ok: false, code: "INVALID_ROOM" });
    expect(parseConnectUrl("/v1/rooms/%E0%A4%A?token=t")).toMatchObject({ ok: false, code: "INVALID_ROOM" });
  });

  it("refuses empty and overlong room ids", () => {
    expect(parseConnectUrl("/v1/rooms/?token=t")).toMatchObject({ ok: false, code: "INVALID_ROOM" });
    expect(parseConnectUrl(`/v1/rooms/${"a".repeat(129)}?token=t`)).toMatchObject({ ok: false });
    expect(parseConnectUrl(`/v1/rooms/${"a".repeat(128)}?token=t`)).toMatchObject({ ok: true });
  });

  it("refuses a malformed cid or epoch and a missing token", () => {
    expect(parseConnectUrl("/v1/rooms/r?token=t&cid=short")).toMatchObject({ code: "INVALID_ROOM" });
    expect(parseConnectUrl("/v1/rooms/r?token=t&epoch=-1")).toMatchObject({ code: "INVALID_ROOM" });
    expect(parseConnectUrl("/v1/rooms/r?token=t&epoch=1e3")).toMatchObject({ code: "INVALID_ROOM" });
    expect(parseConnectUrl("/v1/rooms/r")).toMatchObject({ code: "INVALID_TOKEN" });
  });

  it("recognises only the rooms path", () => {
    expect(isRoomsPath("/v1/rooms/x")).toBe(true);
    expect(isRoomsPath("/v2/rooms/x")).toBe(false);
  });
});
