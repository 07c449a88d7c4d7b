import type { BatchEntry, PeerState } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import { createRoomOutbox } from "./room-outbox.js";
import { createVersionTracker } from "./version-tracker.js";

const peer = (cid: string): PeerState => ({
  connectionId: cid,
  userId: "u",
  info: undefined,
  epoch: 1,
  clock: 1,
  state: {},
});
const enter = (cid: string): BatchEntry => ({ kind: "enter", ...peer(cid) });
/** A `left` leave at the version of `peer`. */
const leave = (cid: string): BatchEntry => ({ ...peer(cid), kind: "leave", reason: "left" });

describe("room outbox", () => {
  it("takes a flush's entries with the states to store and the connections gone, then is empty", () => {
    const versions = createVersionTracker();
    const outbox = createRoomOutbox(versions);
    expect(outbox.take()).toBeUndefined();
    outbox.queue(enter("x"), peer("x"));
    outbox.queue(enter("y"), peer("y"));
    outbox.queue(leave("y"), undefined, "y");
    expect(outbox.take()).toEqual({
      entries: [enter("x"), enter("y"), leave("y")],
      seen: ["x"],
      states: [peer("x")],
      gone: ["y"],
    });
    expect(outbox.take()).toBeUndefined();
    expect(versions.get("x")).toMatchObject({ epoch: 1, clock: 1 });
  });

  it("lets a later enter of the same connection cancel its removal", () => {
    const outbox = createRoomOutbox(createVersionTracker());
    outbox.queue(leave("x"), undefined, "x");
    outbox.queue(enter("x"), peer("x"));
    expect(outbox.take()).toMatchObject({ seen: ["x"], gone: [] });
  });
});
