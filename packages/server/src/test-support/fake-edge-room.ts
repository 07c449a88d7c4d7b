// For unit tests of a whole edge room (edge/edge-room.ts): one room on a real
// in-process pod, with a fake clock and flush timers that run when the test says
// so (fake-room-member.ts's members join it).
import { createEdgeRoom, type EdgeRoom } from "../edge/edge-room.js";
import { createKnownConnections } from "../edge/known-connections.js";
import { createInProcessLink } from "../link/in-process.js";
import { createMetrics } from "../ops/metrics.js";
import { createPod } from "../pod/pod.js";
import { createFakeClock } from "./fake-clock.js";
import { manualFlushTimers } from "./fake-room-member.js";

/** Room "r" on pod "p", loaded; `idle` collects the room each time it says it is idle. */
export async function edgeRoomFixture(largeRoomThreshold?: number) {
  const clock = createFakeClock();
  const { stats } = createMetrics(
    { connections: () => 0, rooms: () => 0, backlog: () => 0, evictions: () => 0 },
    { defaultMetrics: false },
  );
  const manual = manualFlushTimers();
  const idle: EdgeRoom[] = [];
  const room = createEdgeRoom({
    roomId: "r",
    link: createInProcessLink(createPod({ podId: "p" }), "e"),
    stats,
    known: createKnownConnections(),
    tickMs: 16,
    largeRoomThreshold,
    now: clock.now,
    timers: manual.timers,
    clock,
    onReplaced: () => {},
    onIdle: (r) => idle.push(r),
  });
  await room.ready;
  return { room, stats, flush: manual.run, clock, idle };
}
