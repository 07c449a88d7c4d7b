import type { BatchEntry, PeerState } from "@collabblocks/protocol";
import { describe, expect, it } from "vitest";
import type { EdgeLink, RoomListener } from "../link/edge-link.js";
import { enterEntry, roomFixture, updateEntry } from "../test-support/fake-room-member.js";
import { createKnownConnections } from "./known-connections.js";
import { createReplicaSync } from "./replica-sync.js";
import type { RoomMember } from "./room-member.js";

/** The pod, played by the test: it answers sync requests when told, and records writes. */
function scriptedLink() {
  let listener: RoomListener | undefined;
  const syncs: ((snapshot: PeerState[]) => void)[] = [];
  const written: BatchEntry[] = [];
  let detached = false;
  const link: EdgeLink = {
    attach: (_roomId, l) => {
      listener = l;
    },
    write: (_roomId, entries) => void written.push(...entries),
    event: () => {},
    syncRequest: () => new Promise((resolve) => syncs.push(resolve)),
    detach: () => {
      detached = true;
    },
    ready: true,
    close: () => {},
  };
  return {
    link,
    written,
    syncs,
    send: (entries: BatchEntry[]) => listener?.onEntries(entries),
    reset: () => listener?.onReset?.(),
    get detached() {
      return detached;
    },
  };
}

const peer = (cid: string, clock: number, epoch = 1): PeerState => ({
  connectionId: cid,
  userId: cid,
  info: undefined,
  epoch,
  clock,
  state: { v: clock },
});

function setup() {
  const f = roomFixture();
  const pod = scriptedLink();
  const changed: BatchEntry[] = [];
  const replaced: RoomMember[] = [];
  let reloads = 0;
  const known = createKnownConnections();
  const sync = createReplicaSync({
    roomId: "r",
    link: pod.link,
    replica: f.replica,
    members: f.members,
    views: f.views,
    known,
    changed: (e) => changed.push(e),
    reloaded: () => reloads++,
    onReplaced: (m) => replaced.push(m),
  });
  return { ...f, pod, sync, changed, replaced, known, reloads: () => reloads };
}

describe("replica sync", () => {
  it("holds the pod's entries until its snapshot is loaded, then applies them in order", async () => {
    const { pod, sync, replica, changed, known, views, reloads } = setup();
    pod.send([updateEntry("p", 2, { v: 2 })]);
    expect(changed).toEqual([]);
    pod.syncs[0]?.([peer("p", 1)]);
    await sync.ready;
    expect(reloads()).toBe(1);
    expect(replica.get("p")?.clock).toBe(2);
    expect(changed).toMatchObject([{ kind: "update", connectionId: "p", clock: 2 }]);
    expect(known.get("r", "p")).toMatchObject({ userId: "p", epoch: 1 });
    expect(views.members.get("p")).toBeDefined();
  });

  it("applies, fans out and forwards a local entry, and tells a local member taken over by a remote enter", async () => {
    const { pod, sync, add, changed, replaced } = setup();
    pod.syncs[0]?.([]);
    await sync.ready;
    const a = add("a");
    sync.publish(enterEntry("a", 2));
    expect(changed).toMatchObject([{ kind: "enter", connectionId: "a" }]);
    expect(pod.written).toMatchObject([{ kind: "enter", connectionId: "a", epoch: 2 }]);
    pod.send([enterEntry("a", 3)]); // the same id, a newer epoch, from another socket
    expect(replaced).toEqual([a.member]);
  });

  it("resyncs after a gap: the pod's state wins, except for this edge's own connections, which are re-asserted", async () => {
    const { pod, sync, add, replica, changed } = setup();
    pod.syncs[0]?.([peer("p", 1), peer("gone", 1)]);
    await sync.ready;
    add("a");
    sync.publish(enterEntry("a"));
    changed.length = 0;
    pod.written.length = 0;
    pod.send([updateEntry("p", 5, { v: 5 })]); // base 4, the replica has clock 1: a gap
    expect(pod.syncs).toHaveLength(2);
    pod.syncs[1]?.([peer("p", 5)]);
    await new Promise((r) => setImmediate(r));
    expect(replica.get("p")?.clock).toBe(5);
    expect(replica.get("gone")).toBeUndefined();
    expect(replica.get("a")).toBeDefined();
    expect(changed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: "leave", connectionId: "gone", reason: "expired" }),
        expect.objectContaining({ kind: "enter", connectionId: "a" }),
      ]),
    );
    expect(pod.written).toMatchObject([{ kind: "enter", connectionId: "a" }]);
  });

  it("re-asserts its connections when the link moved the room, then resyncs", async () => {
    const { pod, sync, add } = setup();
    pod.syncs[0]?.([]);
    await sync.ready;
    add("a");
    sync.publish(enterEntry("a"));
    pod.written.length = 0;
    pod.reset();
    expect(pod.written).toMatchObject([{ kind: "enter", connectionId: "a" }]);
    expect(pod.syncs).toHaveLength(2);
  });

  it("detaches on close and ignores what the pod says after", async () => {
    const { pod, sync, changed } = setup();
    pod.syncs[0]?.([]);
    await sync.ready;
    sync.close();
    expect(pod.detached).toBe(true);
    pod.send([enterEntry("p")]);
    pod.reset();
    expect(changed).toEqual([]);
    expect(pod.syncs).toHaveLength(1);
  });
});
