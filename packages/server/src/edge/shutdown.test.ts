import { describe, expect, it } from "vitest";
import type { WebSocket } from "ws";
import { createSilentLogger } from "../ops/logger.js";
import { createMetrics } from "../ops/metrics.js";
import { createFakeClock } from "../test-support/fake-clock.js";
import type { EdgeContext } from "./edge-context.js";
import { createGhosts } from "./ghosts.js";
import { drainEdge, SHUTDOWN_CLOSE_WAIT_MS } from "./shutdown.js";

function fakeSocket(sockets: Set<WebSocket>, log: string[], name: string, acknowledges: boolean) {
  const ws = {
    readyState: 1,
    OPEN: 1,
    bufferedAmount: 0,
    send: () => log.push(`${name} error frame`),
    close: (code: number) => {
      log.push(`${name} close ${code}`);
      if (acknowledges) sockets.delete(ws); // the client answers the close frame
    },
    terminate: () => {
      log.push(`${name} terminated`);
      sockets.delete(ws);
    },
  } as unknown as WebSocket;
  sockets.add(ws);
  return ws;
}

describe("drainEdge", () => {
  it("closes every socket with 1012, waits up to SHUTDOWN_CLOSE_WAIT_MS for acknowledgements, then terminates the rest", async () => {
    const clock = createFakeClock();
    const sockets = new Set<WebSocket>();
    const log: string[] = [];
    fakeSocket(sockets, log, "polite", true);
    fakeSocket(sockets, log, "silent", false);
    let roomsClosed = false;
    let linkClosed = false;
    const ctx = {
      options: {
        metrics: createMetrics(
          { connections: () => 0, rooms: () => 0, backlog: () => 0, evictions: () => 0 },
          { defaultMetrics: false },
        ),
        logger: createSilentLogger(),
        link: { close: () => (linkClosed = true) },
      },
      clock,
      rooms: { values: () => [][Symbol.iterator](), closeAll: () => (roomsClosed = true) },
      ghosts: createGhosts(clock, 1000),
      sockets,
      shuttingDown: false,
    } as unknown as EdgeContext;
    const drained = drainEdge(ctx);
    expect(ctx.shuttingDown).toBe(true);
    expect(log).toEqual([
      "polite error frame",
      "polite close 1012",
      "silent error frame",
      "silent close 1012",
    ]);
    await clock.advance(SHUTDOWN_CLOSE_WAIT_MS - 100);
    expect(log).not.toContain("silent terminated");
    await clock.advance(200);
    await drained;
    expect(log.at(-1)).toBe("silent terminated");
    expect(sockets.size).toBe(0);
    expect(roomsClosed && linkClosed).toBe(true);
  });
});
