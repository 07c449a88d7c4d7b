import { describe, expect, it } from "vitest";
import type { EdgeFrame, PodFrame } from "../link/frames.js";
import { createFakeClock, type FakeClock } from "../test-support/fake-clock.js";
import type { PodConnection, PodConnectionOptions } from "./pod-connection.js";
import { createPodLinkState, type PodLinkState, RECONNECT_BACKOFF_MS } from "./pod-link-state.js";
import { createPodRouter, parsePodList } from "./pod-router.js";
import { pickPod } from "./rendezvous.js";

/** Fake pod connections: the test says when a pod is up and sees every frame sent. */
function fakePods() {
  const conns = new Map<string, { options: PodConnectionOptions; up: boolean }>();
  const log: string[] = [];
  const connect = (options: PodConnectionOptions): PodConnection => {
    const entry = { options, up: false };
    conns.set(options.address, entry);
    return {
      address: options.address,
      get state() {
        return entry.up ? "up" : "waiting";
      },
      send(frame: EdgeFrame) {
        if (!entry.up) return false;
        log.push(`${options.address} ${frame.type} ${frame.roomId}`);
        return true;
      },
      backlog: 0,
      close() {},
    };
  };
  const set = (address: string, up: boolean): void => {
    const c = conns.get(address)!;
    c.up = up;
    c.options.onStatus(up);
  };
  const deliver = (address: string, frame: PodFrame): void => conns.get(address)!.options.onFrame(frame);
  return { connect, set, deliver, log };
}

const A = "10.0.0.1:8788";
const B = "10.0.0.2:8788";
/** A room that rendezvous puts on A while both are live. */
const roomOnA = Array.from({ length: 100 }, (_, i) => `room-${i}`).find((r) => pickPod([A, B], r) === A)!;

function setup() {
  const pods = fakePods();
  const router = createPodRouter({ pods: [A, B], edgeId: "edge", connect: pods.connect });
  const frames: PodFrame[] = [];
  const resets: string[] = [];
  const transport = router.connect(
    (f) => frames.push(f),
    (room) => {
      resets.push(room);
      pods.log.push(`reset ${room}`);
    },
  );
  return { pods, router, transport, frames, resets };
}

describe("pod router", () => {
  it("is ready only while a pod is up, and holds a room without a pod until one comes up", () => {
    const { pods, router, transport, resets } = setup();
    expect(transport.ready).toBe(false);
    transport.send({ type: "attach", roomId: roomOnA });
    transport.send({ type: "write", roomId: roomOnA, entries: [] });
    expect(pods.log).toEqual([]);
    pods.set(B, true);
    expect(transport.ready).toBe(true);
    expect(router.podOf(roomOnA)).toBe(B);
    expect(pods.log).toEqual([`${B} attach ${roomOnA}`, `reset ${roomOnA}`]);
    expect(resets).toEqual([roomOnA]);
  });

  it("moves a room to a returning pod by attaching there, resetting, then detaching from the old one", () => {
    const { pods, router, transport } = setup();
    pods.set(B, true);
    transport.send({ type: "attach", roomId: roomOnA });
    pods.log.length = 0;
    pods.set(A, true);
    expect(router.podOf(roomOnA)).toBe(A);
    expect(pods.log).toEqual([`${A} attach ${roomOnA}`, `reset ${roomOnA}`, `${B} detach ${roomOnA}`]);
    transport.send({ type: "sync-request", roomId: roomOnA, syncId: 3 });
    expect(pods.log.at(-1)).toBe(`${A} sync-request ${roomOnA}`);
  });

  it("moves a room off a pod that goes down, with no detach to the dead pod", () => {
    const { pods, router, transport } = setup();
    pods.set(A, true);
    pods.set(B, true);
    transport.send({ type: "attach", roomId: roomOnA });
    pods.log.length = 0;
    pods.set(A, false);
    expect(router.podOf(roomOnA)).toBe(B);
    expect(pods.log).toEqual([`${B} attach ${roomOnA}`, `reset ${roomOnA}`]);
    pods.set(B, false);
    expect(router.podOf(roomOnA)).toBeUndefined();
    expect(transport.ready).toBe(false);
  });

  it("delivers a room's frames only from the pod it is attached to", () => {
    const { pods, transport, frames } = setup();
    pods.set(A, true);
    pods.set(B, true);
    transport.send({ type: "attach", roomId: roomOnA });
    pods.deliver(B, { type: "update", roomId: roomOnA, entries: [] });
    pods.deliver(A, { type: "snapshot-done", roomId: "not-attached", syncId: 1, total: 0 });
    expect(frames).toEqual([]);
    pods.deliver(A, { type: "update", roomId: roomOnA, entries: [] });
    expect(frames).toHaveLength(1);
    transport.send({ type: "detach", roomId: roomOnA });
    pods.deliver(A, { type: "update", roomId: roomOnA, entries: [] });
    expect(frames).toHaveLength(1);
  });

  it("parses --pods and refuses bad lists with one line", () => {
    expect(parsePodList("a:1, [::1]:2 ,b.example:65535")).toEqual(["a:1", "[::1]:2", "b.example:65535"]);
    expect(() => parsePodList("")).toThrow(/at least one/);
    expect(() => parsePodList("a:0")).toThrow(/"a:0" is not host:port/);
    expect(() => parsePodList("a:1,a:1")).toThrow(/twice/);
    expect(() => createPodRouter({ pods: [], edgeId: "e" })).toThrow(RangeError);
  });
});

/** Pod connections on the real link state machine and a fake clock: a test says when a stream fails or comes up. */
function timedPods(clock: FakeClock) {
  const links = new Map<string, { link: PodLinkState; attempt: number }>();
  const connect = (options: PodConnectionOptions): PodConnection => {
    const entry = { link: undefined as unknown as PodLinkState, attempt: 0 };
    entry.link = createPodLinkState({
      clock,
      random: () => 0.5,
      open: (attempt) => {
        entry.attempt = attempt;
      },
      onUp: () => options.onStatus(true),
      onDown: (_reason, wasUp) => {
        if (wasUp) options.onStatus(false);
      },
    });
    links.set(options.address, entry);
    return {
      address: options.address,
      get state() {
        return entry.link.state;
      },
      send: () => entry.link.state === "up",
      backlog: 0,
      close: () => void entry.link.close(),
    };
  };
  const up = (address: string) => links.get(address)?.link.up(links.get(address)?.attempt ?? 0);
  const fail = (address: string) =>
    links.get(address)?.link.down(links.get(address)?.attempt ?? 0, "refused");
  return { connect, up, fail };
}

describe("pod router over the link state machine", () => {
  it("moves a room off a pod whose stream fails, and back once a re-open on the backoff comes up", async () => {
    const clock = createFakeClock();
    const pods = timedPods(clock);
    const router = createPodRouter({ pods: [A, B], edgeId: "edge", connect: pods.connect, clock });
    const resets: string[] = [];
    const transport = router.connect(
      () => {},
      (room) => resets.push(room),
    );
    pods.up(A);
    pods.up(B);
    transport.send({ type: "attach", roomId: roomOnA });
    expect(router.podOf(roomOnA)).toBe(A);
    pods.fail(A);
    expect(router.podOf(roomOnA)).toBe(B);
    await clock.advance(RECONNECT_BACKOFF_MS[0]! - 1);
    pods.up(A); // headers of the failed stream cannot bring it back
    expect(router.podOf(roomOnA)).toBe(B);
    await clock.advance(1); // the re-open
    pods.up(A);
    expect(router.podOf(roomOnA)).toBe(A);
    expect(resets).toEqual([roomOnA, roomOnA]);
    transport.close();
    expect(clock.pending).toBe(0);
  });
});
