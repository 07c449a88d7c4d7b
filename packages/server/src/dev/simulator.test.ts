import { describe, expect, it, vi } from "vitest";
import { createDevIssuer } from "../edge/dev-issuer.js";
import { createFakeClock } from "../test-support/fake-clock.js";
import { RecordingSocket } from "../test-support/recording-socket.js";
import type { SimSocket } from "./sim-bot.js";
import {
  admissible,
  createSimulator,
  MAX_SIMULATED,
  MAX_SIMULATED_PER_REQUEST,
  MAX_SIMULATED_PER_ROOM,
  SIM_STEP_MS,
} from "./simulator.js";

class FakeSocket extends RecordingSocket implements SimSocket {
  open(): void {
    this.readyState = 1;
    this.emit("open");
  }
  close(code: number): void {
    this.closedWith = code;
    this.readyState = 3;
    this.emit("close");
  }
  terminate(): void {
    this.close(1006);
  }
  cursors(): unknown[] {
    return this.patches().map((p) => p.set.cursor);
  }
}

async function setup(random = () => 0.5, accept = true) {
  const clock = createFakeClock();
  const sockets: FakeSocket[] = [];
  const simulator = createSimulator({
    issuer: await createDevIssuer(),
    wsUrl: () => "ws://127.0.0.1:1",
    clock,
    random,
    connect: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      // Accept once the test's turn ends, as a real upgrade would.
      if (accept) setImmediate(() => s.open());
      return s;
    },
  });
  return { clock, sockets, simulator };
}

describe("createSimulator", () => {
  it("joins each participant with a view of only itself, then moves it every SIM_STEP_MS ± half", async () => {
    const { clock, sockets, simulator } = await setup();
    expect(await simulator.add("big", 3)).toBe(3);
    const url = new URL(sockets[0]!.url);
    expect(url.pathname).toBe("/v1/rooms/big");
    expect(url.searchParams.get("view")).not.toBeNull();
    expect(sockets.map((s) => s.cursors().length)).toEqual([1, 1, 1]); // where it starts
    await clock.advance(SIM_STEP_MS * 0.5 - 1); // random() = 0.5: the first move after half a step
    expect(sockets[0]!.cursors()).toHaveLength(1);
    await clock.advance(1);
    expect(sockets[0]!.cursors()).toHaveLength(2);
    await clock.advance(SIM_STEP_MS); // then one step (0.5 + 0.5) apart
    expect(sockets[0]!.cursors()).toHaveLength(3);
  });

  it("keeps every cursor inside the room's 0–1 space", async () => {
    const { clock, sockets, simulator } = await setup(() => 1); // always the largest step up
    await simulator.add("edge", 1);
    for (let i = 0; i < 200; i++) await clock.advance(SIM_STEP_MS * 1.5);
    const last = sockets[0]!.cursors().at(-1) as { x: number; y: number };
    expect(last).toEqual({ x: 1, y: 1 });
  });

  it("clears a room with clean leaves and stops its participants' timers", async () => {
    const { clock, sockets, simulator } = await setup();
    await simulator.add("a", 2);
    await simulator.add("b", 1);
    expect(simulator.clear("a")).toBe(2);
    expect(sockets.slice(0, 2).map((s) => s.closedWith)).toEqual([1000, 1000]);
    expect([simulator.count("a"), simulator.count("b")]).toEqual([0, 1]);
    expect(clock.pending).toBe(1);
    simulator.close();
    expect(clock.pending).toBe(0);
    expect(sockets[2]!.closedWith).toBe(1006);
  });

  it("counts a participant whose socket closes before it opens as gone", async () => {
    const { simulator, sockets } = await setup(undefined, false);
    const adding = simulator.add("r", 1);
    await vi.waitFor(() => expect(sockets).toHaveLength(1), { interval: 1 }); // the token is real crypto
    expect(simulator.count("r")).toBe(1); // counted while joining
    sockets[0]!.close(1006);
    expect(await adding).toBe(0);
  });
});

describe("admissible", () => {
  it("bounds a request by its own cap, the room's and the process's", () => {
    expect(admissible(10.7, 0, 0)).toBe(10);
    expect(admissible(5000, 0, 0)).toBe(MAX_SIMULATED_PER_REQUEST);
    expect(admissible(100, MAX_SIMULATED_PER_ROOM - 3, 0)).toBe(3);
    expect(admissible(100, 0, MAX_SIMULATED - 1)).toBe(1);
    expect(admissible(-4, 0, 0)).toBe(0);
    expect(admissible(1, MAX_SIMULATED_PER_ROOM, 0)).toBe(0);
  });
});
