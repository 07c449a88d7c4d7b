import { describe, expect, it } from "vitest";
import { ERRORS, isErrorCode, ProtocolError } from "./errors.js";

describe("error table", () => {
  it("gives every fatal code a close code and no non-fatal code one", () => {
    for (const [code, spec] of Object.entries(ERRORS)) {
      expect(spec.closeCode === undefined, code).toBe(!spec.fatal);
    }
  });

  it("keeps the close codes of the contract", () => {
    expect(ERRORS.INVALID_TOKEN.closeCode).toBe(4001);
    expect(ERRORS.ROOM_MISMATCH.closeCode).toBe(4003);
    expect(ERRORS.TOKEN_EXPIRED.closeCode).toBe(4001);
    expect(ERRORS.ROOM_FULL.closeCode).toBe(4005);
    expect(ERRORS.SESSION_REPLACED.closeCode).toBe(4009);
    expect(ERRORS.SERVER_SHUTTING_DOWN.closeCode).toBe(1012);
  });

  it("carries a stable code and its close code on ProtocolError", () => {
    const err = new ProtocolError("ROOM_FULL", "room is full");
    expect(err).toBeInstanceOf(Error);
    expect([err.code, err.fatal, err.closeCode]).toEqual(["ROOM_FULL", true, 4005]);
    expect(isErrorCode("ROOM_FULL")).toBe(true);
    expect(isErrorCode("toString")).toBe(false);
  });
});
