// Simulated participants for `collabblocks dev` (the demo's "big room" mode):
// real WebSocket clients of this very server, with dev tokens, so a newcomer sees
// thousands of people in a room on a laptop — through the same auth, rate limits,
// views and fan-out as real users. Each one random-walks its cursor a step every
// SIM_STEP_MS and declares a view that selects nothing but itself (PROTOCOL.md §8),
// so the server sends it no one else's updates: it costs its sends, not N² receives.
import { randomBytes } from "node:crypto";
import { encode, encodeViewParam, MessageType, type ViewSpec } from "@collabblocks/protocol";
import WebSocket from "ws";
import type { DevIssuer } from "../edge/dev-issuer.js";
import type { Clock } from "../ops/clock.js";

/** Most simulated participants per room, and per process (each is two sockets in this process). */
export const MAX_SIMULATED_PER_ROOM = 5000;
export const MAX_SIMULATED = 8000;
/** Most added by one request. */
export const MAX_SIMULATED_PER_REQUEST = 1000;
/** A participant moves every this many ms (± half), ms: 5 000 of them send 2 500 updates/s. */
export const SIM_STEP_MS = 2000;
/** Largest cursor step per move, as a share of the room's 0–1 space. */
const SIM_STEP = 0.01;
/** Joins in flight at once (each mints a token and upgrades a socket). */
const JOIN_CONCURRENCY = 32;

const ONLY_SELF: ViewSpec = { everyone: false, rect: null, field: "cursor", pinned: [], cap: 0, roster: 0 };
const COLORS = ["#e53935", "#8e24aa", "#3949ab", "#039be5", "#00897b", "#7cb342", "#fdd835", "#fb8c00"];

export interface SimulatorOptions {
  readonly issuer: DevIssuer;
  /** ws://host:port of this server, known once it listens. */
  readonly wsUrl: () => string;
  readonly clock: Clock;
  readonly random?: () => number;
}

export interface Simulator {
  /** Adds up to `count` participants to `room` (bounded by the caps); resolves with the room's total. */
  add(room: string, count: number): Promise<number>;
  /** Removes every simulated participant of `room` (they leave, close 1000). */
  clear(room: string): number;
  count(room: string): number;
  close(): void;
}

interface Bot {
  readonly ws: WebSocket;
  x: number;
  y: number;
  timer: unknown;
}

export function createSimulator(options: SimulatorOptions): Simulator {
  const { issuer, clock } = options;
  const random = options.random ?? Math.random;
  const rooms = new Map<string, Set<Bot>>();
  let total = 0;
  let serial = 0;

  const clamp = (v: number) => Math.min(1, Math.max(0, v));

  function send(bot: Bot): void {
    if (bot.ws.readyState !== WebSocket.OPEN) return;
    bot.ws.send(
      encode({ type: MessageType.UPDATE_PRESENCE, set: { cursor: { x: bot.x, y: bot.y } }, del: [] }),
    );
  }

  function step(bot: Bot): void {
    bot.x = clamp(bot.x + (random() * 2 - 1) * SIM_STEP);
    bot.y = clamp(bot.y + (random() * 2 - 1) * SIM_STEP);
    send(bot);
    bot.timer = clock.setTimeout(() => step(bot), SIM_STEP_MS * (0.5 + random()));
  }

  function remove(room: string, bot: Bot): void {
    const set = rooms.get(room);
    if (set?.delete(bot)) total--;
    if (set?.size === 0) rooms.delete(room);
    if (bot.timer !== undefined) clock.clearTimeout(bot.timer);
  }

  async function join(room: string): Promise<void> {
    const n = ++serial;
    const name = `Sim ${n}`;
    const token = await issuer.issue({
      room,
      user: `sim-${n}-${randomBytes(4).toString("hex")}`,
      info: { name, color: COLORS[n % COLORS.length] as string, simulated: true },
    });
    const url = `${options.wsUrl()}/v1/rooms/${encodeURIComponent(room)}?token=${encodeURIComponent(token)}&view=${encodeViewParam(ONLY_SELF)}`;
    const bot: Bot = {
      ws: new WebSocket(url, { perMessageDeflate: false }),
      x: random(),
      y: random(),
      timer: undefined,
    };
    const set = rooms.get(room) ?? new Set<Bot>();
    rooms.set(room, set);
    set.add(bot);
    total++;
    bot.ws.on("close", () => remove(room, bot));
    // An error is followed by close, which removes the bot; nothing else to do.
    bot.ws.on("error", () => {});
    await new Promise<void>((resolve) => {
      bot.ws.once("open", () => {
        send(bot);
        bot.timer = clock.setTimeout(() => step(bot), SIM_STEP_MS * random());
        resolve();
      });
      bot.ws.once("close", () => resolve());
    });
  }

  return {
    async add(room, count) {
      const inRoom = rooms.get(room)?.size ?? 0;
      const n = Math.max(
        0,
        Math.min(
          Math.floor(count),
          MAX_SIMULATED_PER_REQUEST,
          MAX_SIMULATED_PER_ROOM - inRoom,
          MAX_SIMULATED - total,
        ),
      );
      let next = 0;
      const lane = async () => {
        while (next < n) {
          next++;
          await join(room);
        }
      };
      await Promise.all(Array.from({ length: Math.min(JOIN_CONCURRENCY, n) }, lane));
      return rooms.get(room)?.size ?? 0;
    },
    clear(room) {
      const set = rooms.get(room);
      if (set === undefined) return 0;
      const n = set.size;
      for (const bot of [...set]) {
        remove(room, bot);
        bot.ws.close(1000);
      }
      return n;
    },
    count: (room) => rooms.get(room)?.size ?? 0,
    close() {
      for (const room of [...rooms.keys()]) {
        for (const bot of [...(rooms.get(room) ?? [])]) {
          remove(room, bot);
          bot.ws.terminate();
        }
      }
    },
  };
}
