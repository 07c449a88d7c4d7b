import { describe, expect, it } from "vitest";
import { fakeRoomMember, roomFixture } from "../test-support/fake-room-member.js";
import { sendToMember } from "./room-member.js";

describe("room member", () => {
  it("writes a room frame to the member's socket and counts the frame, its bytes and its updates", () => {
    const { stats } = roomFixture();
    const a = fakeRoomMember("a");
    const frame = Uint8Array.of(0x92, 0x65, 0x90); // BATCH with no entries
    sendToMember(stats, a.member, frame, 3);
    expect(a.frames).toEqual([frame]);
    expect(stats).toMatchObject({ framesOut: 1, bytesOut: 3, updatesOut: 3 });
  });
});
